import { describe, expect, it } from "vitest";
import {
  AwsChunkedError,
  decodeAwsChunked,
  isAwsChunked,
  stripAwsChunkedEncoding,
} from "../../src/engine/s3/aws-chunked.ts";

const signature = "a".repeat(64);

/** Frames `chunks` the way SigV4 streaming clients do, optionally signed and with trailers. */
function frame(chunks: string[], options: { signed?: boolean; trailers?: string[] } = {}): Buffer {
  const extension = options.signed ? `;chunk-signature=${signature}` : "";
  let body = "";
  for (const chunk of chunks) body += `${Buffer.byteLength(chunk).toString(16)}${extension}\r\n${chunk}\r\n`;
  body += `0${extension}\r\n`;
  for (const trailer of options.trailers ?? []) body += `${trailer}\r\n`;
  body += "\r\n";
  return Buffer.from(body);
}

describe("Function: decodeAwsChunked", () => {
  it("decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies with a checksum trailer", () => {
    // Prepare
    const body = frame(["hello ", "world"], { trailers: ["x-amz-checksum-crc32:DUoRhQ=="] });

    // Act
    const decoded = decodeAwsChunked(body);

    // Assess
    expect(decoded.data.toString()).toBe("hello world");
    expect(decoded.trailers).toEqual({ "x-amz-checksum-crc32": "DUoRhQ==" });
  });

  it("decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies with chunk signatures", () => {
    const body = frame(["a".repeat(8192), "tail"], { signed: true });

    const decoded = decodeAwsChunked(body);

    expect(decoded.data.toString()).toBe(`${"a".repeat(8192)}tail`);
    expect(decoded.trailers).toEqual({});
  });

  it("decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER bodies and drops the trailer signature", () => {
    const body = frame(["xyz"], {
      signed: true,
      trailers: ["x-amz-checksum-sha256:abc=", `x-amz-trailer-signature:${signature}`],
    });

    const decoded = decodeAwsChunked(body);

    expect(decoded.data.toString()).toBe("xyz");
    expect(decoded.trailers).toEqual({ "x-amz-checksum-sha256": "abc=" });
  });

  it("keeps binary payloads intact, including CRLF inside chunk data", () => {
    const payload = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x30, 0x0d, 0x0a]);
    const body = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)}\r\n`),
      payload,
      Buffer.from("\r\n0\r\n\r\n"),
    ]);

    expect(decodeAwsChunked(body).data.equals(payload)).toBe(true);
  });

  it("decodes an empty payload", () => {
    expect(decodeAwsChunked(Buffer.from("0\r\n\r\n")).data.length).toBe(0);
  });

  it("accepts a final trailer without the closing empty line", () => {
    const decoded = decodeAwsChunked(Buffer.from("1\r\nx\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n"));
    expect(decoded.trailers).toEqual({ "x-amz-checksum-crc32c": "AAAAAA==" });
  });

  it.each([
    ["a size that is not hex", "zz\r\nabc\r\n0\r\n\r\n"],
    ["a chunk shorter than declared", "10\r\nabc\r\n0\r\n\r\n"],
    ["chunk data without CRLF", "3\r\nabcd0\r\n\r\n"],
    ["a header without CRLF", "3"],
    ["a malformed trailer", "0\r\nnot a trailer\r\n\r\n"],
  ])("rejects %s", (_label, text) => {
    expect(() => decodeAwsChunked(Buffer.from(text))).toThrow(AwsChunkedError);
  });
});

describe("Function: isAwsChunked", () => {
  it.each([
    ["STREAMING-UNSIGNED-PAYLOAD-TRAILER", undefined, true],
    ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", undefined, true],
    ["UNSIGNED-PAYLOAD", "aws-chunked", true],
    ["UNSIGNED-PAYLOAD", "gzip, aws-chunked", true],
    ["UNSIGNED-PAYLOAD", "gzip", false],
    [undefined, undefined, false],
  ])("%s with Content-Encoding %s is %s", (sha256, encoding, expected) => {
    expect(isAwsChunked(sha256, encoding)).toBe(expected);
  });
});

describe("Function: stripAwsChunkedEncoding", () => {
  it("removes aws-chunked and keeps other encodings", () => {
    expect(stripAwsChunkedEncoding("aws-chunked")).toBeUndefined();
    expect(stripAwsChunkedEncoding("aws-chunked,gzip")).toBe("gzip");
    expect(stripAwsChunkedEncoding(undefined)).toBeUndefined();
  });
});
