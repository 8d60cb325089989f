import { describe, expect, it } from "vitest";
import { childNodeFlags } from "../../src/engine/lambda/memory-limit.ts";

// The Lambda Node.js runtime's bootstrap: young generation = memory / 10, semi space = young / 2, old space =
// memory - young, in shell integer arithmetic (docs/engine.md, "Memory").
describe("childNodeFlags", () => {
  it.each([
    [128, 6, 116],
    [256, 12, 231],
    [1024, 51, 922],
    [10_240, 512, 9216],
  ])("sizes the heap of a %i MB function as the runtime's bootstrap does", (memory, semi, old) => {
    expect(childNodeFlags(memory, [])).toEqual([
      `--max-semi-space-size=${semi}`,
      `--max-old-space-size=${old}`,
    ]);
  });

  it("keeps the user's flags first and leaves out a size the user chose", () => {
    expect(childNodeFlags(256, ["--enable-source-maps", "--max-old-space-size=600"])).toEqual([
      "--enable-source-maps",
      "--max-old-space-size=600",
      "--max-semi-space-size=12",
    ]);
    expect(childNodeFlags(256, [], "--max_semi_space_size=32")).toEqual(["--max-old-space-size=231"]);
  });
});
