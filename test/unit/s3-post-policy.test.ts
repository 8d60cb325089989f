import { describe, expect, it } from "vitest";
import { checkPostPolicy, type PostForm, parsePostForm } from "../../src/engine/s3/post-object.ts";

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

describe("Function: parsePostForm", () => {
  /** A multipart body as Python `requests` writes `files={"key": "..."}`: every part a file part with a filename. */
  function multipart(parts: Array<{ name: string; filename?: string; value: string }>) {
    const boundary = "b0undary";
    const body = parts
      .map(
        ({ name, filename, value }) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? "" : `; filename="${filename}"`}\r\n\r\n${value}\r\n`,
      )
      .join("");
    return {
      contentType: `multipart/form-data; boundary=${boundary}`,
      body: Buffer.from(`${body}--${boundary}--\r\n`),
    };
  }

  it("reads form fields sent as file parts with a filename as fields; only the part named file is the object", async () => {
    const { contentType, body } = multipart([
      { name: "key", filename: "key", value: "uploads/a.jpg" },
      { name: "Content-Type", filename: "Content-Type", value: "image/jpeg" },
      { name: "success_action_status", value: "201" },
      { name: "file", filename: "a.jpg", value: "JPEG" },
    ]);
    const form = await parsePostForm(contentType, body);
    expect(Object.fromEntries(form.fields)).toEqual({
      key: "uploads/a.jpg",
      "content-type": "image/jpeg",
      success_action_status: "201",
    });
    expect(form.file?.data.toString()).toBe("JPEG");
    expect(form.file?.filename).toBe("a.jpg");
  });
});
