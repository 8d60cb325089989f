import { describe, expect, it } from "vitest";
import { parseRange } from "../../src/engine/s3/range.ts";

describe("Function: parseRange", () => {
  it.each([
    ["bytes=0-9", 100, { start: 0, end: 9 }],
    ["bytes=10-", 100, { start: 10, end: 99 }],
    ["bytes=-5", 100, { start: 95, end: 99 }],
    ["bytes=-500", 100, { start: 0, end: 99 }],
    ["bytes=90-1000", 100, { start: 90, end: 99 }],
    ["bytes=99-99", 100, { start: 99, end: 99 }],
    ["BYTES = 1 - 2", 100, { start: 1, end: 2 }],
  ])("reads %s of a %i-byte object", (header, size, range) => {
    expect(parseRange(header, size)).toEqual({ kind: "range", range });
  });

  it.each([
    ["bytes=100-", 100],
    ["bytes=100-200", 100],
    ["bytes=-0", 100],
    ["bytes=0-", 0],
    ["bytes=-1", 0],
  ])("finds %s of a %i-byte object unsatisfiable", (header, size) => {
    expect(parseRange(header, size)).toEqual({ kind: "unsatisfiable" });
  });

  it.each([[undefined], ["bytes=5-1"], ["bytes=0-1,5-6"], ["items=0-1"], ["bytes=-"], ["bytes=a-b"]])(
    "ignores %s and serves the whole object, as S3 does",
    (header) => {
      expect(parseRange(header, 100)).toEqual({ kind: "none" });
    },
  );
});
