import { join } from "node:path";
import { repoRoot } from "../src/artifact/paths.ts";
import { BENCH_BASE_REF, checkoutTree, type Tree } from "./base-tree.ts";
import { startUpProcess } from "./engine-process.ts";
import { type Summary, summarize } from "./stats.ts";
import { runTsxScript } from "./tsx-script.ts";

/** One fresh process: how long importing the engine took, and its RSS after (MB). */
interface ImportSample {
  ms: number;
  rssMb: number;
}

/**
 * Imports `entry` (a module path; none for the empty baseline) in a fresh Node process with tsx registered, as the
 * CLI loads the engine, and reports the import's wall time and the process's RSS after it.
 */
function importOnce(entry: string | undefined): Promise<ImportSample> {
  const script = [
    "const started = performance.now();",
    "if (process.argv[1]) await import(process.argv[1]);",
    "const ms = performance.now() - started;",
    "console.log(JSON.stringify({ ms, rssMb: process.memoryUsage().rss / 1048576 }));",
  ].join("\n");
  return runTsxScript<ImportSample>(script, [entry ?? ""], `engine import of ${entry}`);
}

export interface EngineImportResult {
  /** Import of `startEngine` in a fresh process, this tree. */
  importMs: Summary;
  importRssMb: Summary;
  /** RSS of the same fresh process importing nothing (Node + tsx): the floor under `importRssMb`. */
  emptyRssMb: Summary;
  /** `pipeline up --bare` spawn → ready line, this tree. */
  bareUpReadyMs: Summary;
  /** The same for the base tree, when it could be checked out. */
  base?: { ref: string; importMs: Summary; importRssMb: Summary; bareUpReadyMs: Summary };
}

/**
 * Engine import and `pipeline up --bare` → ready, this tree against the base engine side by side: alternating
 * runs after one warm-up each (tsx caches its transforms on disk, so the first import after a change is slower).
 */
export async function measureEngineImport(runs: number): Promise<EngineImportResult> {
  // BENCH_ENGINE_BASE=a07ea13, the engine before it stood alone (issue 15, whose `startEngine` loaded the dashboard
  // and the stack too), has its own target.
  const ref = process.env.BENCH_ENGINE_BASE ?? BENCH_BASE_REF;
  const base = checkoutTree(ref);
  const trees: Tree[] = [{ label: "current", root: repoRoot }, ...(base ? [base] : [])];
  const entry = (tree: Tree) => join(tree.root, "src/engine/index.ts");
  const samples = new Map(
    trees.map((t) => [t.label, { ms: [] as number[], rss: [] as number[], up: [] as number[] }]),
  );
  const empty: number[] = [];
  try {
    for (const tree of trees) {
      await importOnce(entry(tree));
      await (await startUpProcess(["--bare"], tree.root)).stop();
    }
    for (let i = 0; i < runs; i++) {
      empty.push((await importOnce(undefined)).rssMb);
      for (const tree of trees) {
        const sample = await importOnce(entry(tree));
        const up = await startUpProcess(["--bare"], tree.root);
        await up.stop();
        const into = samples.get(tree.label);
        into?.ms.push(sample.ms);
        into?.rss.push(sample.rssMb);
        into?.up.push(up.readyMs);
      }
    }
  } finally {
    base?.remove();
  }
  const current = samples.get("current");
  const before = base ? samples.get(base.label) : undefined;
  return {
    importMs: summarize(current?.ms ?? []),
    importRssMb: summarize(current?.rss ?? []),
    emptyRssMb: summarize(empty),
    bareUpReadyMs: summarize(current?.up ?? []),
    ...(before
      ? {
          base: {
            ref,
            importMs: summarize(before.ms),
            importRssMb: summarize(before.rss),
            bareUpReadyMs: summarize(before.up),
          },
        }
      : {}),
  };
}
