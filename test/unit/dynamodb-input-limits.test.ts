import { describe, expect, it } from "vitest";
import { memoizeRules } from "../../src/engine/dynamodb/dynalite-rewrites.ts";
import {
  deepestAttributeValue,
  inputLimitViolation,
  itemBytes,
  itemSizeMessage,
  nestingMessage,
} from "../../src/engine/dynamodb/input-limits.ts";

const wrap = (depth: number): unknown => {
  let value: unknown = { S: "x" };
  for (let i = 0; i < depth; i++) value = i % 2 ? { L: [value] } : { M: { k: value } };
  return value;
};

describe("DynamoDB input limits", () => {
  it("counts attribute-value levels: 31 wrappers are 32 levels (allowed), 32 are 33", () => {
    expect(deepestAttributeValue({ Item: { a: wrap(31) } })).toBe(32);
    expect(inputLimitViolation("PutItem", { Item: { a: wrap(31) } })).toBeUndefined();
    expect(inputLimitViolation("PutItem", { Item: { a: wrap(32) } })).toBe(nestingMessage);
    expect(inputLimitViolation("UpdateItem", { ExpressionAttributeValues: { ":v": wrap(40) } })).toBe(
      nestingMessage,
    );
  });

  it("walks JSON nested a million levels deep without overflowing", () => {
    const deep = JSON.parse(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`);
    expect(inputLimitViolation("PutItem", { Item: { a: { L: deep } } })).toBeUndefined();
  });

  it("sizes items in UTF-8 bytes and refuses them above 400 KB in PutItem, BatchWriteItem and TransactWriteItems", () => {
    expect(itemBytes({ ab: { S: "€" } })).toBe(5);
    const big = { pk: { S: "k" }, d: { S: "€".repeat(140_000) } };
    expect(inputLimitViolation("PutItem", { Item: big })).toBe(itemSizeMessage);
    expect(
      inputLimitViolation("BatchWriteItem", { RequestItems: { t: [{ PutRequest: { Item: big } }] } }),
    ).toBe(itemSizeMessage);
    expect(inputLimitViolation("TransactWriteItems", { TransactItems: [{ Put: { Item: big } }] })).toBe(
      itemSizeMessage,
    );
    expect(inputLimitViolation("PutItem", { Item: { d: { S: "x".repeat(400_000) } } })).toBeUndefined();
  });

  it("refuses an expression over 4,096 bytes wherever it is, with AWS's message", () => {
    const expression = `a${",a".repeat(2048)}`;
    expect(inputLimitViolation("Query", { FilterExpression: expression })).toBe(
      "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097",
    );
    expect(
      inputLimitViolation("TransactWriteItems", {
        TransactItems: [{ Update: { UpdateExpression: expression } }],
      }),
    ).toMatch(/^Invalid UpdateExpression/);
    expect(inputLimitViolation("Query", { FilterExpression: expression.slice(0, 4096) })).toBeUndefined();
  });
});

describe("memoised PEG.js rules", () => {
  it("wraps every rule and keeps one table per parse", () => {
    const source = [
      "function peg$parse(input, options) {",
      "  var peg$currPos = 0;",
      "  function peg$parseStart() {",
      "    return peg$parseA();",
      "  }",
      "  function peg$parseA() {",
      "    return 1;",
      "  }",
      "}",
    ].join("\n");
    const memoised = memoizeRules(source);
    expect(memoised).toContain("var peg$memo = new Map();");
    expect(memoised).toContain("function peg$parseA$uncached() {");
    expect(memoised).toContain("peg$currPos * 2 + 1");
    expect(() => memoizeRules("module.exports = {}")).toThrow(/not a PEG.js 0.10 parser/);
  });
});
