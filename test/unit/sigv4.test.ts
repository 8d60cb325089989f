import { describe, expect, it } from "vitest";
import { routeRequest } from "../../src/engine/edge-protocol.ts";
import { engineServices } from "../../src/engine/registry.ts";
import { parseSigV4Scope } from "../../src/engine/sigv4.ts";

describe("parseSigV4Scope", () => {
  it("reads service and region from the Authorization header", () => {
    const scope = parseSigV4Scope(
      {
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20261125/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
      },
      new URLSearchParams(),
    );
    expect(scope).toEqual({
      accessKeyId: "test",
      date: "20261125",
      region: "eu-west-1",
      service: "dynamodb",
    });
  });

  it("reads a presigned URL's X-Amz-Credential", () => {
    const query = new URLSearchParams({ "X-Amz-Credential": "AKID/20261125/us-east-1/s3/aws4_request" });
    expect(parseSigV4Scope({}, query)?.service).toBe("s3");
  });

  it("reads a SigV2 signature's key and no service (the path routes it: a bucket's to the fallback, S3)", () => {
    const headers = { authorization: "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=" };
    const scope = parseSigV4Scope(headers, new URLSearchParams());
    expect(scope).toEqual({ accessKeyId: "AKIDEXAMPLE", date: "", region: "" });
    const head = {
      method: "GET",
      rawPath: "/photos/cat.jpg",
      query: new URLSearchParams(),
      headers,
      host: "",
    };
    expect(routeRequest(engineServices, head, scope?.service).name).toBe("s3");
  });

  it("returns undefined for unsigned requests", () => {
    expect(parseSigV4Scope({}, new URLSearchParams())).toBeUndefined();
  });
});
