import { describe, expect, it } from "vitest";
import { encodeS3EventKey } from "../../src/events/s3-event.ts";
import { decodeS3Key, KeyDecodingError, parseS3Event } from "../../src/function/s3-event.ts";
import { loadEvent } from "../helpers/events.ts";

describe("Function: decodeS3Key", () => {
  // Keys as S3 writes them into event records, and the keys they stand for.
  const table: Array<[encoded: string, decoded: string]> = [
    ["uploads/cat.jpg", "uploads/cat.jpg"],
    ["uploads/my+cat.jpg", "uploads/my cat.jpg"],
    ["uploads/a%2Bb.jpg", "uploads/a+b.jpg"],
    ["uploads/a%2B+b.jpg", "uploads/a+ b.jpg"],
    ["uploads/100%25.png", "uploads/100%.png"],
    ["uploads/%C3%A9t%C3%A9.gif", "uploads/été.gif"],
    ["uploads/%E7%8C%AB.webp", "uploads/猫.webp"],
    ["uploads/%F0%9F%98%BA.jpg", "uploads/😺.jpg"],
    ["uploads/e%CC%81.jpg", "uploads/e\u0301.jpg"],
    ["uploads/a%2Fb", "uploads/a/b"],
    ["uploads/%27quoted%27+%22x%22.jpg", "uploads/'quoted' \"x\".jpg"],
    ["uploads/%252B.jpg", "uploads/%2B.jpg"],
    ["uploads/..%2F..%2Fetc", "uploads/../../etc"],
    ["uploads/%281%29+%5B2%5D.jpg", "uploads/(1) [2].jpg"],
  ];

  it.each(table)("decodes %s", (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });

  it.each(table)("round-trips through encodeS3EventKey (%s)", (_encoded, decoded) => {
    expect(decodeS3Key(encodeS3EventKey(decoded))).toBe(decoded);
  });

  it("encodes like S3: space as +, plus as %2B, slash kept", () => {
    expect(encodeS3EventKey("uploads/my cat+1.jpg")).toBe("uploads/my+cat%2B1.jpg");
  });

  it("throws a typed error for broken escapes", () => {
    expect(() => decodeS3Key("uploads/%E0%A4%A.jpg")).toThrow(KeyDecodingError);
  });
});

describe("Function: parseS3Event", () => {
  it("accepts an ObjectCreated:Put record and decodes its key", () => {
    const parsed = parseS3Event(loadEvent("put-encoded-key"));
    expect(parsed.skipped).toEqual([]);
    expect(parsed.records[0]?.record).toMatchObject({
      bucket: "image-uploads",
      key: "uploads/my cat+1 été.jpg",
      eventName: "ObjectCreated:Put",
      sequencer: "0A1B2C3D4E5F678901",
    });
  });

  it("accepts CompleteMultipartUpload", () => {
    expect(parseS3Event(loadEvent("put-multipart")).records).toHaveLength(1);
  });

  it.each([
    ["test-event", "test-event"],
    ["sqs-message", "not-s3"],
    ["object-removed", "not-object-created"],
  ])("skips %s with reason %s", (name, reason) => {
    const parsed = parseS3Event(loadEvent(name));
    expect(parsed.records).toEqual([]);
    expect(parsed.skipped.map((s) => s.reason)).toEqual([reason]);
  });

  it("skips non-objects and events without Records as malformed", () => {
    for (const event of [null, 42, "x", [], { foo: 1 }, { Records: "no" }]) {
      expect(parseS3Event(event).skipped[0]?.reason).toBe("malformed");
    }
  });

  it("returns nothing for empty Records", () => {
    expect(parseS3Event(loadEvent("empty-records"))).toEqual({ records: [], skipped: [] });
  });

  it("keeps good records of a batch around bad ones, with their positions", () => {
    const parsed = parseS3Event(loadEvent("batch-mixed"));
    expect(parsed.records.map((r) => [r.index, r.record.key])).toEqual([
      [0, "uploads/a.jpg"],
      [1, "uploads/gone.jpg"],
      [4, "uploads/b.jpg"],
    ]);
    expect(parsed.skipped.map((s) => [s.index, s.reason])).toEqual([
      [2, "not-object-created"],
      [3, "malformed"],
    ]);
  });

  it("skips records of another bucket when one is expected", () => {
    const parsed = parseS3Event(loadEvent("other-bucket"), { expectedBucket: "image-uploads" });
    expect(parsed.skipped[0]?.reason).toBe("unexpected-bucket");
  });

  it("skips a record whose key cannot be decoded", () => {
    const event = loadEvent("put-simple") as { Records: Array<{ s3: { object: { key: string } } }> };
    const first = event.Records[0];
    if (first) first.s3.object.key = "uploads/%ZZ.jpg";
    expect(parseS3Event(event).skipped[0]?.reason).toBe("undecodable-key");
  });
});
