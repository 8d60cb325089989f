import { describe, expect, it } from "vitest";
import { lambdaLimits } from "../../src/engine/lambda/section.ts";
import { engineServices } from "../../src/engine/registry.ts";
import {
  checkBrowserOrigin,
  guardSettings,
  hostNameOf,
  isAllowedHost,
  isPresignedObjectRequest,
  isStateChangingGet,
} from "../../src/engine/request-guard.ts";
import type { RequestHead } from "../../src/engine/types.ts";

/** A service's body limit as the edge reads it: from the registry's section, by the head's operation. */
const bodyLimit = (service: string, head: RequestHead, operation = "") =>
  engineServices.byName(service)?.bodyLimit(head, operation);

const settings = guardSettings({ boundHost: "127.0.0.1", corsOrigins: ["http://localhost:3000"], env: {} });
const port = 4566;

describe("Function: isAllowedHost", () => {
  it.each([
    ["127.0.0.1:4566", true],
    ["localhost:4566", true],
    ["[::1]:4566", true],
    ["localhost.localstack.cloud:4566", true],
    ["photos.s3.localhost.localstack.cloud:4566", true],
    ["photos.localhost:4566", true],
    ["host.docker.internal:4566", true],
    ["rebind.attacker.example:4566", false],
    ["127.0.0.1.nip.io:4566", false],
    ["localhost.evil.example", false],
    ["", false],
  ])("%s → %s", (host, allowed) => {
    expect(isAllowedHost(host, settings)).toBe(allowed);
  });

  it("answers to --host names and EXTRA hosts, and never to any name on a wildcard bind", () => {
    const custom = guardSettings({ boundHost: "0.0.0.0", extraHosts: ["devbox.lan"], env: {} });
    expect(isAllowedHost("devbox.lan:4566", custom)).toBe(true);
    expect(isAllowedHost("evil.example:4566", custom)).toBe(false);
  });

  it("reads host names without port or brackets", () => {
    expect(hostNameOf("[::1]:4566")).toBe("::1");
    expect(hostNameOf("Example.COM:80")).toBe("example.com");
  });
});

describe("Function: checkBrowserOrigin", () => {
  it("lets SDK and CLI requests through (no Origin, Referer or Sec-Fetch-Site)", () => {
    expect(checkBrowserOrigin({}, settings, port).allowed).toBe(true);
  });

  it("refuses a page of another origin, by Origin or else by Referer", () => {
    expect(checkBrowserOrigin({ origin: "http://127.0.0.1:8080" }, settings, port).allowed).toBe(false);
    expect(checkBrowserOrigin({ referer: "http://evil.example/page" }, settings, port).allowed).toBe(false);
    expect(checkBrowserOrigin({ origin: "null" }, settings, port).allowed).toBe(false);
  });

  it("refuses a cross-site or same-site request whose page cannot be told (no-referrer image)", () => {
    expect(checkBrowserOrigin({ "sec-fetch-site": "cross-site" }, settings, port).allowed).toBe(false);
    expect(checkBrowserOrigin({ "sec-fetch-site": "same-site" }, settings, port).allowed).toBe(false);
    expect(checkBrowserOrigin({ "sec-fetch-site": "none" }, settings, port).allowed).toBe(true);
  });

  it("allows the engine's own origin and origins the user added", () => {
    expect(checkBrowserOrigin({ origin: "http://127.0.0.1:4566" }, settings, port).allowed).toBe(true);
    expect(checkBrowserOrigin({ origin: "http://localhost:4566" }, settings, port).allowed).toBe(true);
    expect(checkBrowserOrigin({ origin: "http://localhost:4567" }, settings, port).allowed).toBe(false);
    expect(checkBrowserOrigin({ origin: "http://localhost:3000" }, settings, port).allowed).toBe(true);
  });

  it("takes LocalStack's EXTRA_CORS_ALLOWED_ORIGINS and DISABLE_CORS_CHECKS", () => {
    const extra = guardSettings({
      boundHost: "127.0.0.1",
      env: { EXTRA_CORS_ALLOWED_ORIGINS: "http://app.test:5173, https://b.test/" },
    });
    expect(checkBrowserOrigin({ origin: "http://app.test:5173" }, extra, port).allowed).toBe(true);
    expect(checkBrowserOrigin({ origin: "https://b.test" }, extra, port).allowed).toBe(true);
    const off = guardSettings({ boundHost: "127.0.0.1", env: { DISABLE_CORS_CHECKS: "1" } });
    expect(checkBrowserOrigin({ origin: "http://evil.example" }, off, port).allowed).toBe(true);
  });
});

describe("Function: isStateChangingGet", () => {
  it.each([
    ["GET", "iam", "PutRolePolicy", true],
    ["GET", "iam", "GetRole", false],
    ["GET", "iam", "ListRoles", false],
    ["GET", "sts", "AssumeRole", true],
    ["GET", "sts", "GetCallerIdentity", false],
    ["HEAD", "sqs", "CreateQueue", true],
    ["GET", "sqs", "ReceiveMessage", true],
    ["POST", "iam", "PutRolePolicy", false],
    ["GET", "s3", "PutRolePolicy", false],
  ])("%s %s Action=%s → %s", (method, service, action, refused) => {
    expect(isStateChangingGet(method, engineServices.byName(service), action)).toBe(refused);
  });
});

describe("Function: isPresignedObjectRequest", () => {
  const signed =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc&X-Amz-Expires=60";
  it("accepts presigned single-object reads and writes", () => {
    expect(isPresignedObjectRequest("GET", "k.jpg", new URLSearchParams(signed))).toBe(true);
    expect(isPresignedObjectRequest("PUT", "k.jpg", new URLSearchParams(signed))).toBe(true);
    expect(
      isPresignedObjectRequest("PUT", "k.jpg", new URLSearchParams(`${signed}&partNumber=1&uploadId=u`)),
    ).toBe(true);
  });

  it("never exempts bulk deletes, bucket configuration or unsigned requests", () => {
    expect(isPresignedObjectRequest("POST", undefined, new URLSearchParams(`${signed}&delete=`))).toBe(false);
    expect(isPresignedObjectRequest("PUT", undefined, new URLSearchParams(`${signed}&notification=`))).toBe(
      false,
    );
    expect(isPresignedObjectRequest("PUT", "k", new URLSearchParams(`${signed}&acl=`))).toBe(false);
    expect(isPresignedObjectRequest("GET", "k", new URLSearchParams("X-Amz-Expires=60"))).toBe(false);
  });

  it("never exempts a bucket: listing (GET /b) or creation (PUT /b), nor SigV2 query signatures", () => {
    expect(isPresignedObjectRequest("GET", undefined, new URLSearchParams(`${signed}&list-type=2`))).toBe(
      false,
    );
    expect(isPresignedObjectRequest("PUT", undefined, new URLSearchParams(signed))).toBe(false);
    expect(
      isPresignedObjectRequest("PUT", "k", new URLSearchParams("AWSAccessKeyId=test&Signature=00&Expires=9")),
    ).toBe(false);
  });
});

describe("Section: bodyLimit", () => {
  const head = (method: string, rawPath: string, headers: Record<string, string> = {}) => ({
    method,
    rawPath,
    query: new URLSearchParams(),
    headers,
    host: "127.0.0.1:4566",
  });

  it("streams S3 object writes and bounds everything else with AWS's limits", () => {
    expect(bodyLimit("s3", head("PUT", "/b/k"))).toEqual({ stream: true });
    expect(bodyLimit("s3", head("PUT", "/b/k", { "x-amz-copy-source": "/b/o" }))).toMatchObject({
      bytes: 10 * 1024 * 1024,
    });
    expect(bodyLimit("s3", head("POST", "/b"))).toMatchObject({ code: "MaxMessageLengthExceeded" });
    expect(bodyLimit("dynamodb", head("POST", "/"))).toMatchObject({ bytes: 16 * 1024 * 1024, status: 413 });
    expect(bodyLimit("lambda", head("POST", "/2015-03-31/functions/f/invocations"))).toMatchObject({
      bytes: lambdaLimits.syncPayloadBytes,
      code: "RequestTooLargeException",
    });
    expect(
      bodyLimit(
        "lambda",
        head("POST", "/2015-03-31/functions/f/invocations", { "x-amz-invocation-type": "Event" }),
      ),
    ).toMatchObject({ bytes: lambdaLimits.asyncPayloadBytes });
    expect(bodyLimit("lambda", head("POST", "/2015-03-31/functions"))).toMatchObject({
      bytes: 70_167_211,
      message: "Request must be smaller than 70167211 bytes for the CreateFunction operation",
    });
    expect(bodyLimit("lambda", head("PUT", "/2015-03-31/functions/f/code"))).toMatchObject({
      bytes: 70_167_211,
      message: "Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation",
    });
    // Another method on a limited route, or any other route: the synchronous payload's limit.
    for (const [method, path] of [
      ["PUT", "/2015-03-31/functions/f/invocations"],
      ["GET", "/2015-03-31/functions/f"],
      ["POST", "/2015-03-31/functions/f/code"],
    ] as const)
      expect(bodyLimit("lambda", head(method, path)), `${method} ${path}`).toMatchObject({
        bytes: lambdaLimits.syncPayloadBytes,
        message: `Request must be smaller than ${lambdaLimits.syncPayloadBytes} bytes for the Lambda operation`,
      });
  });
});
