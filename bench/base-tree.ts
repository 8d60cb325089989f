import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../src/artifact/paths.ts";

/**
 * The commit every figure is shown beside, measured in the same run: the tree before issue 25, which issues 23 and
 * 25 set their targets against. BENCH_BASE=<ref> picks another (`none`, or a shallow clone without it, measures this
 * tree alone); BENCH_ENGINE_BASE and BENCH_OVERHEAD_BASE pick one for the engine import and the per-request overhead.
 */
export const BENCH_BASE_REF = process.env.BENCH_BASE ?? "920a793";

/** A tree of the repository to measure: its root (with node_modules) and a label. */
export interface Tree {
  label: string;
  root: string;
}

/**
 * Extracts `ref`'s src/ and cli/ into a temporary directory that shares this checkout's node_modules, so its
 * engine and `pipeline up` run as they did at that commit. Undefined when git or the commit is not there (a
 * shallow clone): the figures are then compared with the issue's.
 */
export function checkoutTree(ref: string): (Tree & { remove(): void }) | undefined {
  const dir = mkdtempSync(join(tmpdir(), "bench-engine-base-"));
  try {
    const archive = execFileSync("git", ["archive", ref, "src", "cli", "package.json"], {
      cwd: repoRoot,
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
    return { label: ref, root: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    // No such commit (a shallow clone, BENCH_BASE=none): nothing to measure beside, and nothing left behind.
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
