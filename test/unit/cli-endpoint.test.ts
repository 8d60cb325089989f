import { describe, expect, it } from "vitest";
import {
  endpointSecret,
  endpointWithoutCredentials,
  redactEndpoint,
  resolveEndpoint,
  startHint,
} from "../../cli/src/endpoint.ts";
import { printable } from "../../cli/src/output.ts";
import { isLocalStackHealth } from "../../cli/src/target.ts";
import { CHECK_CATALOG, type CheckResult, inEvidenceOrder } from "../../src/stack/check.ts";

describe("Function: resolveEndpoint", () => {
  it.each([
    [
      { endpoint: "http://a:1" },
      { PIPELINE_ENDPOINT: "http://b:2", PIPELINE_PORT: "3" },
      "http://a:1",
      "flag",
    ],
    [{}, { PIPELINE_ENDPOINT: "http://b:2/", PIPELINE_PORT: "3" }, "http://b:2", "PIPELINE_ENDPOINT"],
    [{}, { PIPELINE_PORT: "4630", AWS_ENDPOINT_URL: "http://c:4" }, "http://127.0.0.1:4630", "PIPELINE_PORT"],
    [{}, { AWS_ENDPOINT_URL: "http://c:4" }, "http://c:4", "AWS_ENDPOINT_URL"],
    [{}, {}, "http://localhost:4566", "default"],
  ])("%j with %j -> %s (%s)", (options, env, endpoint, source) => {
    expect(resolveEndpoint(options, env)).toEqual({ endpoint, source });
  });
});

describe("Function: redactEndpoint", () => {
  it("masks the password, keeps the user and the host", () => {
    expect(redactEndpoint("http://admin:s3cr3t@host:4566")).toBe("http://admin:***@host:4566");
    expect(endpointWithoutCredentials("http://admin:s3cr3t@host:4566")).toBe("http://host:4566");
    expect(endpointSecret("http://admin:s3cr3t@host:4566")).toBe("s3cr3t");
    expect(endpointSecret("http://host:4566")).toBeUndefined();
  });
});

describe("Function: startHint", () => {
  it("names up's --port off 4566", () => {
    expect(startHint("http://127.0.0.1:4630")).toContain("npx pipeline up --port 4630");
    expect(startHint("http://localhost:4566")).toContain("`npx pipeline up`");
  });
});

describe("Function: printable", () => {
  it("escapes control characters and leaves the rest", () => {
    expect(printable("a\u001b[31mb\nc\td\u007f\u009bé猫")).toBe("a\\x1b[31mb\\nc\\td\\x7f\\x9bé猫");
  });
});

describe("Function: isLocalStackHealth", () => {
  it.each([
    [{ services: { s3: "running" }, edition: "community", version: "4.14.0" }, true],
    [{ services: { s3: "running" }, edition: "embedded", version: "0.1.0" }, true],
    [{ services: { s3: "running" } }, false],
    [{ status: "ok", version: "1" }, false],
    [{ services: ["s3"], version: "1" }, false],
    ["<html>", false],
    [null, false],
  ])("%j -> %s", (body, shaped) => {
    expect(isLocalStackHealth(body)).toBe(shaped);
  });
});

describe("Function: inEvidenceOrder", () => {
  it("sorts verify's checks as the catalogue lists them", () => {
    const check = (id: string): CheckResult => ({
      id,
      evidence: "",
      title: "",
      ok: true,
      observed: "",
      expected: "",
      command: "",
    });
    const shuffled = [...CHECK_CATALOG].reverse().map((c) => check(c.id));

    expect(inEvidenceOrder(shuffled).map((c) => c.id)).toEqual(CHECK_CATALOG.map((c) => c.id));
    expect(CHECK_CATALOG.filter((c) => !c.live)).toHaveLength(12);
  });
});
