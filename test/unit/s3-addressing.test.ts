import { describe, expect, it } from "vitest";
import {
  assertKeyLength,
  decodeKey,
  isValidBucketName,
  resolveAddress,
  urlEncodeForListing,
  virtualHostBucket,
} from "../../src/engine/s3/addressing.ts";
import { S3Error } from "../../src/engine/s3/errors.ts";

describe("Function: decodeKey", () => {
  it.each([
    ["plain/key.jpg", "plain/key.jpg"],
    ["a%20b", "a b"],
    ["a+b", "a+b"],
    ["a%2Bb", "a+b"],
    ["100%25", "100%"],
    ["%E6%97%A5%E6%9C%AC", "日本"],
    ["%F0%9F%98%80", "😀"],
    ["%2525", "%25"],
    ["caf%C3%A9", "café"],
    ["%2e%2e/%2E%2E", "../.."],
  ])("decodes %s exactly once to %s", (raw, decoded) => {
    expect(decodeKey(raw)).toBe(decoded);
  });

  it.each([["%"], ["%zz"], ["%4"], ["%FF"], ["%C3"]])("rejects %s as InvalidURI", (raw) => {
    expect(() => decodeKey(raw)).toThrow(expect.objectContaining({ code: "InvalidURI" }));
  });
});

describe("Function: resolveAddress", () => {
  it.each([
    ["127.0.0.1:4566", "/", {}],
    ["127.0.0.1:4566", "/photos", { bucket: "photos" }],
    ["127.0.0.1:4566", "/photos/", { bucket: "photos" }],
    ["localhost:4566", "/photos/a%20b+c.jpg", { bucket: "photos", key: "a b+c.jpg" }],
    ["localhost.localstack.cloud:4566", "/photos/dir/", { bucket: "photos", key: "dir/" }],
    ["s3.localhost.localstack.cloud:4566", "/photos/k", { bucket: "photos", key: "k" }],
    ["127.0.0.1", "/photos//double", { bucket: "photos", key: "/double" }],
  ])("path-style: %s %s", (host, path, expected) => {
    expect(resolveAddress(host, path)).toEqual({ ...expected, virtualHosted: false });
  });

  it.each([
    ["photos.s3.localhost.localstack.cloud:4566", "/a/b.jpg", { bucket: "photos", key: "a/b.jpg" }],
    ["photos.s3.localhost.localstack.cloud", "/", { bucket: "photos" }],
    ["my.dotted.bucket.s3.localhost.localstack.cloud:4566", "/k", { bucket: "my.dotted.bucket", key: "k" }],
    ["photos.localhost:4566", "/k%2Bv", { bucket: "photos", key: "k+v" }],
    ["photos.s3.amazonaws.com", "/k", { bucket: "photos", key: "k" }],
    ["photos.s3.eu-west-1.amazonaws.com", "/k", { bucket: "photos", key: "k" }],
    ["photos.s3-eu-west-1.amazonaws.com", "/k", { bucket: "photos", key: "k" }],
  ])("virtual-hosted: %s %s", (host, path, expected) => {
    expect(resolveAddress(host, path)).toEqual({ ...expected, virtualHosted: true });
  });

  it("does not treat service endpoints as buckets", () => {
    expect(virtualHostBucket("s3.us-east-1.amazonaws.com")).toBeUndefined();
    expect(virtualHostBucket("s3.amazonaws.com")).toBeUndefined();
    expect(virtualHostBucket("localhost:4566")).toBeUndefined();
    expect(virtualHostBucket("[::1]:4566")).toBeUndefined();
  });
});

describe("Function: isValidBucketName", () => {
  it.each(["abc", "my-bucket", "my.bucket.name", "a1b2c3", "x".repeat(63)])("accepts %s", (name) => {
    expect(isValidBucketName(name)).toBe(true);
  });

  it.each([
    "ab",
    "x".repeat(64),
    "Upper",
    "under_score",
    "-start",
    "end-",
    "a..b",
    "a.-b",
    "10.0.0.1",
    "xn--abc",
  ])("rejects %s", (name) => {
    expect(isValidBucketName(name)).toBe(false);
  });
});

describe("Function: assertKeyLength", () => {
  it("allows 1,024 bytes of UTF-8 and rejects 1,025", () => {
    expect(() => assertKeyLength("k".repeat(1024))).not.toThrow();
    expect(() => assertKeyLength("k".repeat(1025))).toThrow(S3Error);
    // 342 three-byte characters are 1,026 bytes although only 342 UTF-16 units.
    expect(() => assertKeyLength("日".repeat(342))).toThrow(
      expect.objectContaining({ code: "KeyTooLongError" }),
    );
  });
});

describe("Function: urlEncodeForListing", () => {
  it("encodes like S3's encoding-type=url: space as +, plus as %2B, slashes kept", () => {
    expect(urlEncodeForListing("a b+c/d%e")).toBe("a+b%2Bc/d%25e");
    expect(urlEncodeForListing("日本")).toBe("%E6%97%A5%E6%9C%AC");
  });
});
