import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { repoRoot } from "../src/artifact/paths.ts";
import { RuntimeResolver } from "../src/engine/lambda/runtimes.ts";
import { BENCH_BASE_REF, checkoutTree, type Tree } from "./base-tree.ts";
import { startUpProcess } from "./engine-process.ts";
import { runScript, type ScriptLoader } from "./node-script.ts";
import { type Summary, summarize } from "./stats.ts";

/** One fresh process: how long importing the engine took, and its RSS after (MB). */
interface ImportSample {
  ms: number;
  rssMb: number;
}

/**
 * Imports `entry` (a module path; none for the empty baseline) in a fresh Node process with tsx registered (or as
 * `loader` says, with the compile cache on), and reports the import's wall time and the process's RSS after it.
 */
function importOnce(entry: string | undefined, loader?: ScriptLoader): Promise<ImportSample> {
  const script = [
    "const started = performance.now();",
    // As cli/bin/pipeline.js does before it loads anything (a no-op on Node 20).
    'if (process.argv[2] === "cache") (await import("node:module")).enableCompileCache?.();',
    "if (process.argv[1]) await import(process.argv[1]);",
    "const ms = performance.now() - started;",
    "console.log(JSON.stringify({ ms, rssMb: process.memoryUsage().rss / 1048576 }));",
  ].join("\n");
  const args = [entry ?? "", loader ? "cache" : ""];
  return runScript<ImportSample>(script, args, `engine import of ${entry}`, loader);
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
  /**
   * The import as `PIPELINE_FROM_SOURCE=1` (or a read-only checkout) loads the sources on Node 24, beside the base
   * tree as its CLI loaded them there (tsx), both with the compile cache on; absent without an installed Node 24 or
   * a base tree.
   */
  fromSourceNode24?: { node: string; importMs: Summary; baseImportMs: Summary };
  /**
   * What the import under tsx grows with: the static import graph of each tree (modules, source bytes), and each
   * tree's engine bundled into one module (esbuild, packages external), imported under tsx (the same code with one
   * module to resolve: does the count matter to tsx?) and with no loader (as the CLI's bundle loads, the compile cache
   * on: what the code costs without tsx).
   */
  graph: {
    tree: GraphSize;
    base?: GraphSize;
    bundledTsxMs: Summary;
    bundledPlainMs: Summary;
    baseBundledTsxMs?: Summary;
    baseBundledPlainMs?: Summary;
  };
}

/** A static import graph's size: its modules and their source bytes. */
interface GraphSize {
  modules: number;
  bytes: number;
}

/** Where the bundles are written: under node_modules, so their packages resolve as the sources' do. */
const bundleDir = join(repoRoot, "node_modules/.cache/bench-engine-import");

/**
 * Bundles `src/engine/index.ts` of the tree at `root` into one module at `outfile`, and measures its static import
 * graph: the repository's modules (not node_modules') the entry reaches through import statements (a dynamic
 * `import()` loads later, not in the import measured) and their source bytes, by esbuild's metafile.
 */
async function bundleEngine(root: string, outfile: string): Promise<GraphSize> {
  const entry = "src/engine/index.ts";
  const { metafile } = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    outfile,
    bundle: true,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  const reached = new Set<string>();
  let bytes = 0;
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const input = metafile.inputs[file];
    if (reached.has(file) || input === undefined) continue;
    reached.add(file);
    bytes += input.bytes;
    for (const imported of input.imports)
      if (imported.kind === "import-statement" && !imported.external) pending.push(imported.path);
  }
  return { modules: reached.size, bytes };
}

/**
 * Engine import and `pipeline up --bare` → ready, this tree against the base engine side by side: alternating
 * runs after one warm-up each (tsx caches its transforms on disk, so the first import after a change is slower),
 * `importsPerRun` imports of each tree per run (`up --bare` once).
 */
export async function measureEngineImport(runs: number, importsPerRun = 1): Promise<EngineImportResult> {
  // BENCH_ENGINE_BASE=a07ea13, the engine before it stood alone (issue 15, whose `startEngine` loaded the dashboard
  // and the stack too), has its own target.
  const ref = process.env.BENCH_ENGINE_BASE ?? BENCH_BASE_REF;
  const base = checkoutTree(ref);
  const currentTree: Tree = { label: "current", root: repoRoot };
  const trees: Tree[] = [currentTree, ...(base ? [base] : [])];
  const entry = (tree: Tree) => join(tree.root, "src/engine/index.ts");
  const samples = new Map(
    trees.map((t) => [t.label, { ms: [] as number[], rss: [] as number[], up: [] as number[] }]),
  );
  const empty: number[] = [];
  // On Node 24 the CLI's source path strips the types itself (cli/bin/pipeline.js); the base's CLI registered tsx.
  const node24 = base ? new RuntimeResolver().nodeOfOwnMajor("nodejs24.x") : undefined;
  const sourcePath =
    base && node24
      ? {
          node: node24,
          baseEntry: entry(base),
          current: { node: node24, tsx: false },
          base: { node: node24, tsx: true },
          ms: [] as number[],
          baseMs: [] as number[],
        }
      : undefined;
  const bundles = new Map<string, BundleSamples>(
    trees.map((t) => [
      t.label,
      { file: join(bundleDir, `${t.label}.mjs`), size: undefined, tsx: [], plain: [] },
    ]),
  );
  try {
    for (const tree of trees) {
      const bundle = bundles.get(tree.label);
      if (bundle) bundle.size = await bundleEngine(tree.root, bundle.file);
    }
    for (const tree of trees) {
      await importOnce(entry(tree));
      await (await startUpProcess(["--bare"], tree.root)).stop();
    }
    if (sourcePath) {
      // The first import on Node 24 fills its compile cache (the stripped sources and their code); the runs after use it.
      await importOnce(entry(currentTree), sourcePath.current);
      await importOnce(sourcePath.baseEntry, sourcePath.base);
    }
    for (const { file } of bundles.values()) {
      await importOnce(file);
      await importOnce(file, { tsx: false });
    }
    for (let i = 0; i < runs; i++) {
      empty.push((await importOnce(undefined)).rssMb);
      for (const tree of i % 2 === 0 ? trees : [...trees].reverse()) {
        const bundle = bundles.get(tree.label);
        if (!bundle) continue;
        bundle.tsx.push((await importOnce(bundle.file)).ms);
        bundle.plain.push((await importOnce(bundle.file, { tsx: false })).ms);
      }
      // Imports take a third of a second and this VM's speed drifts within seconds: several per run, the trees'
      // order reversed every other round, so neither tree is always measured first.
      const order = i % 2 === 0 ? trees : [...trees].reverse();
      for (let round = 0; round < importsPerRun; round++) {
        for (const tree of round % 2 === 0 ? order : [...order].reverse()) {
          const sample = await importOnce(entry(tree));
          const into = samples.get(tree.label);
          into?.ms.push(sample.ms);
          into?.rss.push(sample.rssMb);
        }
        if (sourcePath) {
          const pair = [
            async () => sourcePath.ms.push((await importOnce(entry(currentTree), sourcePath.current)).ms),
            async () => sourcePath.baseMs.push((await importOnce(sourcePath.baseEntry, sourcePath.base)).ms),
          ];
          for (const measure of (i + round) % 2 === 0 ? pair : pair.reverse()) await measure();
        }
      }
      for (const tree of order) {
        const up = await startUpProcess(["--bare"], tree.root);
        await up.stop();
        samples.get(tree.label)?.up.push(up.readyMs);
      }
    }
  } finally {
    base?.remove();
    rmSync(bundleDir, { recursive: true, force: true });
  }
  const current = samples.get("current");
  const before = base ? samples.get(base.label) : undefined;
  return {
    importMs: summarize(current?.ms ?? []),
    importRssMb: summarize(current?.rss ?? []),
    emptyRssMb: summarize(empty),
    bareUpReadyMs: summarize(current?.up ?? []),
    graph: graphFigures(bundles.get(currentTree.label), base ? bundles.get(base.label) : undefined),
    ...(sourcePath
      ? {
          fromSourceNode24: {
            node: sourcePath.node,
            importMs: summarize(sourcePath.ms),
            baseImportMs: summarize(sourcePath.baseMs),
          },
        }
      : {}),
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

/** One tree's engine bundled into one module: where, its graph's size, and its import times (ms). */
interface BundleSamples {
  file: string;
  /** Known once bundled. */
  size: GraphSize | undefined;
  /** Imports under tsx. */
  tsx: number[];
  /** Imports with no loader, the compile cache on. */
  plain: number[];
}

/** The `graph` figures of a run: this tree's bundle (required) and the base's (when there is a base). */
function graphFigures(
  tree: BundleSamples | undefined,
  base: BundleSamples | undefined,
): EngineImportResult["graph"] {
  if (!tree?.size) throw new Error("the engine was not bundled");
  return {
    tree: tree.size,
    bundledTsxMs: summarize(tree.tsx),
    bundledPlainMs: summarize(tree.plain),
    ...(base?.size
      ? { base: base.size, baseBundledTsxMs: summarize(base.tsx), baseBundledPlainMs: summarize(base.plain) }
      : {}),
  };
}
