import { describe, expect, it } from "vitest";
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

  it("returns undefined for unsigned requests", () => {
    expect(parseSigV4Scope({}, new URLSearchParams())).toBeUndefined();
  });
});
