import { describe, expect, it } from "vitest";
import { checkPostPolicy, type PostForm } from "../../src/engine/s3/post-object.ts";

const now = Date.UTC(2026, 10, 29);
const policy = (conditions: unknown[], expiration = new Date(now + 60_000).toISOString()) =>
  Buffer.from(JSON.stringify({ expiration, conditions })).toString("base64");
const form = (fields: Record<string, string>): PostForm => ({
  fields: new Map(Object.entries(fields)),
  file: { data: Buffer.from("12345"), filename: "f.png" },
});

describe("Function: checkPostPolicy", () => {
  const conditions = [{ bucket: "b" }, ["starts-with", "$key", "up/"], ["content-length-range", 1, 10]];

  it("accepts a form every condition covers and holds", () => {
    expect(() => checkPostPolicy(policy(conditions), form({ key: "up/f.png" }), "b", 5, now)).not.toThrow();
  });

  it("refuses an expired policy, a failed condition, a size out of range and an uncovered field", () => {
    expect(() =>
      checkPostPolicy(
        policy(conditions, new Date(now - 1).toISOString()),
        form({ key: "up/x" }),
        "b",
        5,
        now,
      ),
    ).toThrow("Policy expired");
    expect(() => checkPostPolicy(policy(conditions), form({ key: "other/x" }), "b", 5, now)).toThrow(
      "Policy Condition failed",
    );
    expect(() => checkPostPolicy(policy(conditions), form({ key: "up/x" }), "b", 11, now)).toThrow("exceeds");
    expect(() =>
      checkPostPolicy(policy(conditions), form({ key: "up/x", acl: "public-read" }), "b", 5, now),
    ).toThrow("Extra input fields: acl");
    expect(() => checkPostPolicy(policy(conditions), form({ key: "up/x" }), "other-bucket", 5, now)).toThrow(
      "Policy Condition failed",
    );
  });
});
