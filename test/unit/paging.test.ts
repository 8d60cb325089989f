import { describe, expect, it } from "vitest";
import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../../src/engine/paging.ts";

describe("Function: pageFrom", () => {
  it("slices from the offset and says where the next page starts", () => {
    // Act
    const first = pageFrom(["a", "b", "c"], 0, 2);
    const last = pageFrom(["a", "b", "c"], 2, 2);

    // Assess
    expect(first).toEqual({ items: ["a", "b"], next: 2 });
    expect(last).toEqual({ items: ["c"] });
  });

  it("has no next page when the page ends exactly at the end, or starts past it", () => {
    // Act
    const exact = pageFrom(["a", "b"], 0, 2);
    const past = pageFrom(["a"], 5, 2);

    // Assess
    expect(exact).toEqual({ items: ["a", "b"] });
    expect(past).toEqual({ items: [] });
  });
});

describe("Function: decodeOffsetToken", () => {
  it("reads back what encodeOffsetToken wrote, and nothing else", () => {
    // Act
    const offset = decodeOffsetToken(encodeOffsetToken(42));
    const garbage = decodeOffsetToken("not-a-token");
    const negative = decodeOffsetToken(Buffer.from("o/-1").toString("base64url"));

    // Assess
    expect(offset).toBe(42);
    expect(garbage).toBeUndefined();
    expect(negative).toBeUndefined();
  });
});
