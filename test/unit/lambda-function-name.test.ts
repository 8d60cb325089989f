import { describe, expect, it } from "vitest";
import { parseFunctionReference } from "../../src/engine/lambda/function-name.ts";

describe("Function: parseFunctionReference", () => {
  it.each([
    ["ingest", { name: "ingest" }],
    ["ingest:$LATEST", { name: "ingest", qualifier: "$LATEST" }],
    ["000000000000:function:ingest", { name: "ingest", accountId: "000000000000" }],
    [
      "arn:aws:lambda:us-east-1:000000000000:function:ingest",
      { name: "ingest", accountId: "000000000000", region: "us-east-1" },
    ],
    [
      "arn:aws:lambda:us-east-1:000000000000:function:ingest:live",
      { name: "ingest", qualifier: "live", accountId: "000000000000", region: "us-east-1" },
    ],
  ])("parses %s", (reference, expected) => {
    // Act
    const parsed = parseFunctionReference(reference);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each(["", "a b", "arn:aws:s3:::bucket", "x".repeat(65), "a:b:c:d"])("rejects %j", (reference) => {
    // Act
    const parsed = parseFunctionReference(reference);

    // Assess
    expect(parsed).toBeUndefined();
  });
});
