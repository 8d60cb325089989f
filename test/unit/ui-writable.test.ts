import { describe, expect, it } from "vitest";
import { dashboardWritable } from "../../cli/src/commands/ui.ts";

describe("pipeline ui: whether the page may upload and re-drive", () => {
  it.each([
    ["emulator", {}, true],
    ["emulator", { allowWrites: true }, true],
    ["emulator", { readOnly: true }, false],
    ["aws", {}, false],
    ["aws", { allowWrites: true }, true],
    ["aws", { readOnly: true }, false],
  ] as const)("%s with %j: %s", (kind, options, writable) => {
    expect(dashboardWritable(kind, options)).toBe(writable);
  });
});
