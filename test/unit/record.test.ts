import { describe, expect, it } from "vitest";
import { partitionKey, shapeRecord, sortKey, stripETagQuotes } from "../../src/function/record.ts";

describe("Function: shapeRecord", () => {
  const record = {
    bucket: "image-uploads",
    key: "uploads/my cat.jpg",
    eventName: "ObjectCreated:Put",
    eventTime: "2026-11-25T12:00:00.000Z",
    sequencer: "00ABC",
  };
  const head = {
    eTag: '"0123456789abcdef0123456789abcdef"',
    contentLength: 2048,
    contentType: "image/jpeg",
    lastModified: new Date("2026-11-25T11:59:59.000Z"),
    metadata: { camera: "x100" },
    serverSideEncryption: "AES256",
  };
  const now = new Date("2026-11-25T12:00:01.000Z");

  it("builds PK/SK and the normalized attributes", () => {
    expect(shapeRecord(record, head, { requestId: "req-1", now })).toEqual({
      PK: "IMG#image-uploads#uploads/my cat.jpg",
      SK: "META#0123456789abcdef0123456789abcdef",
      bucket: "image-uploads",
      key: "uploads/my cat.jpg",
      etag: "0123456789abcdef0123456789abcdef",
      size: 2048,
      contentType: "image/jpeg",
      lastModified: "2026-11-25T11:59:59.000Z",
      metadata: { camera: "x100" },
      sse: "AES256",
      eventName: "ObjectCreated:Put",
      eventTime: "2026-11-25T12:00:00.000Z",
      sequencer: "00ABC",
      requestId: "req-1",
      processedAt: "2026-11-25T12:00:01.000Z",
    });
  });

  it("records a version id when S3 has one, never the literal null", () => {
    expect(shapeRecord(record, { ...head, versionId: "v1" }, { requestId: "r", now }).versionId).toBe("v1");
    expect(shapeRecord(record, { ...head, versionId: "null" }, { requestId: "r", now })).not.toHaveProperty(
      "versionId",
    );
  });

  it("defaults content type and nulls what HeadObject did not return", () => {
    const item = shapeRecord(record, { eTag: '"e"', contentLength: 0 }, { requestId: "r", now });
    expect(item).toMatchObject({
      contentType: "binary/octet-stream",
      lastModified: null,
      sse: null,
      metadata: {},
    });
  });

  it("keeps multipart ETags whole", () => {
    expect(sortKey('"d41d8cd98f00b204e9800998ecf8427e-3"')).toBe("META#d41d8cd98f00b204e9800998ecf8427e-3");
  });

  it("strips quotes and weak markers from ETags", () => {
    expect(stripETagQuotes('W/"abc"')).toBe("abc");
    expect(stripETagQuotes("abc")).toBe("abc");
  });

  it("puts bucket and key verbatim in PK", () => {
    expect(partitionKey("b", "a#b/c d")).toBe("IMG#b#a#b/c d");
  });
});
