import { describe, expect, it } from "vitest";
import { iamActionWildcard, iamWildcard, wildcardMatch } from "../../src/engine/wildcard.ts";

describe("Function: wildcardMatch", () => {
  it("matches `*` across any run of characters, `:` and `/` included", () => {
    // Act
    const object = wildcardMatch("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b");
    const origin = wildcardMatch("https://*.example.com", "https://app.example.com");
    const other = wildcardMatch("https://*.example.com", "https://example.org");

    // Assess
    expect(object).toBe(true);
    expect(origin).toBe(true);
    expect(other).toBe(false);
  });

  it("takes `?` as one character only with questionMark (IAM), literally otherwise (Logs, S3 CORS)", () => {
    // Act
    const iam = wildcardMatch("role-?", "role-a", iamWildcard);
    const literal = wildcardMatch("role-?", "role-a");
    const literalItself = wildcardMatch("what?*", "what?-yes");

    // Assess
    expect(iam).toBe(true);
    expect(literal).toBe(false);
    expect(literalItself).toBe(true);
  });

  it("compares case-insensitively only when asked (IAM actions, header names)", () => {
    // Act
    const action = wildcardMatch("s3:Get*", "s3:getobject", iamActionWildcard);
    const resource = wildcardMatch("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/k", iamWildcard);
    const header = wildcardMatch("X-Amz-*", "x-amz-meta-a", { ignoreCase: true });

    // Assess
    expect(action).toBe(true);
    expect(resource).toBe(false);
    expect(header).toBe(true);
  });

  it("treats regular-expression characters as literal", () => {
    // Act
    const dot = wildcardMatch("a.b*", "axb-c");
    const brackets = wildcardMatch("[x]*", "[x]y");

    // Assess
    expect(dot).toBe(false);
    expect(brackets).toBe(true);
  });
});
