import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkoutTree } from "../../bench/base-tree.ts";
import { repoRoot } from "../../src/artifact/paths.ts";

// The bench's base tree: `git archive` of a commit into a temporary directory (the workflow suite runs the bench with
// BENCH_BASE=none on every `npm test`, so a failed checkout must leave nothing behind).
describe("bench: the base tree", () => {
  let scratch: string;
  let savedTmpdir: string | undefined;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), "bench-base-tree-test-"));
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
  });
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    rmSync(scratch, { recursive: true, force: true });
  });

  it("is undefined for a commit that is not there, and leaves no directory behind", () => {
    expect(checkoutTree("none")).toBeUndefined();
    expect(checkoutTree("0000000000000000000000000000000000000000")).toBeUndefined();
    expect(readdirSync(scratch)).toEqual([]);
  });

  // A source tarball has no history to extract from.
  it.skipIf(!existsSync(join(repoRoot, ".git")))(
    "extracts a commit's sources beside this checkout's node_modules, and removes them",
    () => {
      const tree = checkoutTree("HEAD");
      expect(tree).toBeDefined();
      expect(existsSync(join(tree?.root ?? "", "src/engine/index.ts"))).toBe(true);
      expect(existsSync(join(tree?.root ?? "", "node_modules"))).toBe(true);
      tree?.remove();
      expect(readdirSync(scratch)).toEqual([]);
    },
  );
});
