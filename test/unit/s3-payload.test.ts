import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeChecksum } from "../../src/engine/s3/checksums.ts";
import { readPayload } from "../../src/engine/s3/payload.ts";

const payload = Buffer.from("hello world");
const crc32 = computeChecksum("CRC32", payload);
const chunked = (trailer: string) => Buffer.from(`b\r\nhello world\r\n0\r\n${trailer}\r\n\r\n`);
const streamingHeaders = {
  "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "content-encoding": "aws-chunked",
  "x-amz-decoded-content-length": "11",
  "x-amz-trailer": "x-amz-checksum-crc32",
  "x-amz-sdk-checksum-algorithm": "CRC32",
};

describe("Function: readPayload", () => {
  it("decodes aws-chunked bodies and verifies the trailing checksum", () => {
    const result = readPayload(streamingHeaders, chunked(`x-amz-checksum-crc32:${crc32}`));

    expect(result.data.equals(payload)).toBe(true);
    expect(result.md5).toBe(createHash("md5").update(payload).digest("hex"));
    expect(result.checksum).toEqual({ algorithm: "CRC32", value: crc32, type: "FULL_OBJECT" });
  });

  it("rejects a wrong trailing checksum with BadDigest", () => {
    expect(() => readPayload(streamingHeaders, chunked("x-amz-checksum-crc32:AAAAAA=="))).toThrow(
      expect.objectContaining({ code: "BadDigest", status: 400 }),
    );
  });

  it("rejects a malformed checksum value with InvalidRequest", () => {
    expect(() => readPayload({ "x-amz-checksum-sha256": "short" }, payload)).toThrow(
      expect.objectContaining({ code: "InvalidRequest" }),
    );
  });

  it("rejects a declared trailer that never came", () => {
    expect(() => readPayload(streamingHeaders, Buffer.from("b\r\nhello world\r\n0\r\n\r\n"))).toThrow(
      expect.objectContaining({ code: "InvalidRequest" }),
    );
  });

  it("rejects a decoded length that does not match with IncompleteBody", () => {
    const headers = { ...streamingHeaders, "x-amz-decoded-content-length": "12" };
    expect(() => readPayload(headers, chunked(`x-amz-checksum-crc32:${crc32}`))).toThrow(
      expect.objectContaining({ code: "IncompleteBody" }),
    );
  });

  it("verifies Content-MD5: InvalidDigest when malformed, BadDigest when different", () => {
    const right = createHash("md5").update(payload).digest("base64");
    const wrong = createHash("md5").update("other").digest("base64");

    expect(readPayload({ "content-md5": right }, payload).data.equals(payload)).toBe(true);
    expect(() => readPayload({ "content-md5": "abc" }, payload)).toThrow(
      expect.objectContaining({ code: "InvalidDigest" }),
    );
    expect(() => readPayload({ "content-md5": wrong }, payload)).toThrow(
      expect.objectContaining({ code: "BadDigest" }),
    );
  });

  it("computes a checksum the client asked for without sending one", () => {
    const result = readPayload({ "x-amz-sdk-checksum-algorithm": "CRC32C" }, payload);
    expect(result.checksum).toEqual({
      algorithm: "CRC32C",
      value: computeChecksum("CRC32C", payload),
      type: "FULL_OBJECT",
    });
  });

  it("refuses two different checksum headers", () => {
    const headers = {
      "x-amz-checksum-crc32": crc32,
      "x-amz-checksum-crc32c": computeChecksum("CRC32C", payload),
    };
    expect(() => readPayload(headers, payload)).toThrow(expect.objectContaining({ code: "InvalidRequest" }));
  });

  it("passes plain bodies through untouched", () => {
    const result = readPayload({}, payload);
    expect(result.data).toBe(payload);
    expect(result.checksum).toBeUndefined();
  });
});
