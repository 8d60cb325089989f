import { describe, expect, it } from "vitest";
import { s3CorsAllows } from "../../src/engine/s3/cors.ts";
import { listVersionsPage } from "../../src/engine/s3/listing.ts";
import { assertPresignedUrlValid } from "../../src/engine/s3/presigned.ts";
import type { CorsRule } from "../../src/engine/s3/storage/records.ts";

const versions: Record<string, Array<{ versionId: string }>> = {
  a: [{ versionId: "a2" }, { versionId: "a1" }],
  "d/x": [{ versionId: "x1" }],
  "d/y": [{ versionId: "y1" }],
  z: [{ versionId: "z3" }, { versionId: "z2" }, { versionId: "z1" }],
};
const input = {
  keys: Object.keys(versions).sort(),
  versionsOf: (key: string) => versions[key] ?? [],
  prefix: "",
};

describe("Function: listVersionsPage", () => {
  it("pages through every version once, resuming after the key and version markers it gives back", () => {
    const seen: string[] = [];
    let markers: { keyMarker?: string; versionIdMarker?: string } = {};
    let pages = 0;
    for (;;) {
      const page = listVersionsPage({ ...input, maxKeys: 2, ...markers });
      pages++;
      seen.push(...page.versions.map((v) => `${v.key}@${v.entry.versionId}${v.isLatest ? "*" : ""}`));
      if (!page.isTruncated) break;
      markers = {
        keyMarker: page.nextKeyMarker as string,
        versionIdMarker: page.nextVersionIdMarker as string,
      };
    }

    expect(seen).toEqual(["a@a2*", "a@a1", "d/x@x1*", "d/y@y1*", "z@z3*", "z@z2", "z@z1"]);
    expect(pages).toBe(4);
  });

  it("folds keys under a delimiter into common prefixes, and answers max-keys=0 with an untruncated empty page", () => {
    const folded = listVersionsPage({ ...input, delimiter: "/", maxKeys: 1000 });
    const none = listVersionsPage({ ...input, maxKeys: 0 });

    expect(folded.commonPrefixes).toEqual(["d/"]);
    expect(folded.versions.map((v) => v.key)).toEqual(["a", "a", "z", "z", "z"]);
    expect(none).toMatchObject({ versions: [], isTruncated: false });
  });
});

describe("Function: s3CorsAllows", () => {
  const rules: CorsRule[] = [
    {
      allowedOrigins: ["https://*.example.com"],
      allowedMethods: ["PUT"],
      allowedHeaders: ["content-*"],
      exposeHeaders: [],
    },
    { allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: [] },
  ];

  it("matches origin wildcards, methods and every requested header, first rule first", () => {
    expect(s3CorsAllows(rules, "https://app.example.com", "PUT", ["content-type"])).toBe(rules[0]);
    expect(s3CorsAllows(rules, "https://app.example.com", "PUT", ["x-amz-acl"])).toBeUndefined();
    expect(s3CorsAllows(rules, "https://evil.test", "PUT")).toBeUndefined();
    expect(s3CorsAllows(rules, "https://evil.test", "GET")).toBe(rules[1]);
    expect(s3CorsAllows(undefined, "https://app.example.com", "GET")).toBeUndefined();
  });
});

describe("Function: assertPresignedUrlValid", () => {
  const signedAt = Date.UTC(2026, 10, 29, 12, 0, 0);
  const query = (expires: string) =>
    new URLSearchParams({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "test/20261129/us-east-1/s3/aws4_request",
      "X-Amz-Date": "20261129T120000Z",
      "X-Amz-Expires": expires,
    });

  it("accepts a URL inside its window and refuses it after, and refuses windows over a week", () => {
    expect(() => assertPresignedUrlValid(query("60"), signedAt + 59_000)).not.toThrow();
    expect(() => assertPresignedUrlValid(query("60"), signedAt + 61_000)).toThrow("Request has expired");
    expect(() => assertPresignedUrlValid(query("604801"), signedAt)).toThrow("less than a week");
    expect(() => assertPresignedUrlValid(new URLSearchParams("prefix=a"), signedAt)).not.toThrow();
  });

  it("checks SigV2 `Expires` too", () => {
    const v2 = new URLSearchParams({
      AWSAccessKeyId: "test",
      Signature: "x",
      Expires: String(signedAt / 1000),
    });

    expect(() => assertPresignedUrlValid(v2, signedAt - 1000)).not.toThrow();
    expect(() => assertPresignedUrlValid(v2, signedAt + 1000)).toThrow("Request has expired");
  });
});
