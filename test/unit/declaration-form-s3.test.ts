import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { s3Declaration } from "../../src/engine/s3/declaration.ts";
import type { S3Runtime } from "../../src/engine/s3/runtime.ts";
import type { ServiceRequest } from "../../src/engine/types.ts";

/**
 * Issue 23's one declaration form, for S3: every operation is written once as `operation({...})` with its
 * declared route, IAM action and members, and nothing routes S3 requests but those routes (the declaration's
 * `resolve` only addresses them). Fails if S3 goes back to an intermediate form: an operation table converted
 * later, an access table, or a hand router.
 */
const s3Directory = join(import.meta.dirname, "../../src/engine/s3");
const sources = readdirSync(s3Directory, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".ts"))
  .map((file) => ({ file, text: readFileSync(join(s3Directory, file), "utf8") }));
// Only read: building the declaration runs no handler.
const declaration = s3Declaration({} as S3Runtime);
const browserOnly = ["PreflightCors", "PostObject"];

describe("S3's declaration form", () => {
  it("writes each operation once, as an operation({...}) literal", () => {
    // Act
    const written = sources.flatMap(({ text }) => [...text.matchAll(/\boperation\(\{\s*name: "(\w+)"/g)]);
    const names = written.map((match) => match[1]);

    // Assess
    expect(names.sort()).toEqual(declaration.operations.map((operation) => operation.name).sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("declares every operation's route, IAM action and (but for browser requests) members", () => {
    // Act
    const incomplete = declaration.operations
      .filter(
        (operation) =>
          operation.http === undefined ||
          operation.action === undefined ||
          (operation.members === undefined && !browserOnly.includes(operation.name)),
      )
      .map((operation) => operation.name);

    // Assess
    expect(declaration.operations.length).toBeGreaterThanOrEqual(56);
    expect(incomplete).toEqual([]);
  });

  it("has no intermediate form: no operation-name union, access table, handler table or hand router", () => {
    // Act
    const intermediate = sources
      .filter(({ text }) =>
        /\b(OperationName|operationAccess|operationAction|resolveOperation)\b|Record<\s*\w*Operation\w*\s*,/.test(
          text,
        ),
      )
      .map(({ file }) => file);

    // Assess
    expect(sources.map(({ file }) => file)).not.toContain("operations.ts");
    expect(intermediate).toEqual([]);
  });

  it("resolves only the address (a path for the declared routes), never an operation", () => {
    // Prepare
    const request = {
      method: "GET",
      rawPath: "/k",
      query: new URLSearchParams(),
      headers: {},
      host: "photos.s3.localhost.localstack.cloud:4566",
    } as unknown as ServiceRequest;

    // Act
    const resolved = declaration.resolve?.(request);

    // Assess
    expect(resolved).toBe("/photos/k");
  });
});
