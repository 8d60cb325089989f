import { describe, expect, it } from "vitest";
import { checkTags } from "../../src/engine/dynamodb/tags.ts";

const messageOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return `${(error as { code: string }).code} ${(error as Error).message}`;
  }
  return "accepted";
};

describe("Function: checkTags (DynamoDB's Tag constraints)", () => {
  it("accepts up to 50 tags, keys 1–128 and values 0–256 characters, keys case-sensitive", () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "" }));
    expect(checkTags(fifty)).toHaveLength(50);
    expect(checkTags([{ Key: "k".repeat(128), Value: "v".repeat(256) }])).toHaveLength(1);
    expect(
      checkTags([
        { Key: "env", Value: "a" },
        { Key: "Env", Value: "b" },
      ]),
    ).toHaveLength(2);
  });

  it("refuses lengths out of range, naming each member, in one ValidationException", () => {
    expect(
      messageOf(() =>
        checkTags([
          { Key: "", Value: "v" },
          { Key: "k", Value: "v".repeat(257) },
        ]),
      ),
    ).toBe(
      `ValidationException 2 validation errors detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length between 1 and 128; Value '${"v".repeat(257)}' at 'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  it("refuses the reserved aws: prefix and more than 50 tags counting those the table has", () => {
    expect(messageOf(() => checkTags([{ Key: "aws:cost", Value: "v" }]))).toMatch(
      /^ValidationException .*reserved prefix 'aws:'/,
    );
    const existing = Array.from({ length: 49 }, (_, i) => `k${i}`);
    expect(
      messageOf(() =>
        checkTags(
          [
            { Key: "k0", Value: "new" },
            { Key: "new", Value: "v" },
          ],
          existing,
        ),
      ),
    ).toBe("accepted");
    expect(
      messageOf(() =>
        checkTags(
          [
            { Key: "x", Value: "" },
            { Key: "y", Value: "" },
          ],
          existing,
        ),
      ),
    ).toBe("ValidationException A table can have at most 50 tags; this request would give it 51.");
  });
});
