import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { unzipSync, zipSync } from "fflate";
import { buildFunctionArtifact } from "../src/artifact/build.ts";
import { FUNCTION_ENTRY, repoRoot } from "../src/artifact/paths.ts";
import { type Summary, summarize } from "./stats.ts";

/** The function's runtime dependencies: what the seed's `zip -r dist node_modules package.json` would carry. */
const FUNCTION_DEPENDENCIES = [
  "@aws-sdk/client-s3",
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/util-dynamodb",
  "@aws-lambda-powertools/logger",
  "p-limit",
];

/** Copies the production dependency closure of `roots` from the repo's node_modules (no network). */
function copyDependencyClosure(roots: string[], targetModules: string): number {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const source = join(repoRoot, "node_modules", name);
    if (!existsSync(join(source, "package.json"))) continue;
    cpSync(source, join(targetModules, name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    queue.push(...Object.keys(manifest.dependencies ?? {}));
  }
  return seen.size;
}

function zipDirectory(dir: string, zipPath: string): void {
  // The seed used Info-ZIP; use it when present so the size is the seed's, else fflate.
  try {
    execFileSync("zip", ["-qr", "-9", zipPath, "."], { cwd: dir });
    return;
  } catch {
    const files: Record<string, Uint8Array> = {};
    const walk = (rel: string) => {
      const abs = join(dir, rel);
      if (statSync(abs).isDirectory()) {
        for (const entry of execFileSync("ls", ["-A", abs], { encoding: "utf8" }).split("\n").filter(Boolean))
          walk(join(rel, entry));
      } else files[rel] = readFileSync(abs);
    };
    walk("");
    writeFileSync(zipPath, zipSync(files, { level: 9 }));
  }
}

/** How a package's init is measured: with which Node binary, and whether Node's module compile cache is on. */
export interface InitSetting {
  node: string;
  /** NODE_COMPILE_CACHE in a fresh directory, primed by one import before the measured ones (a warm sandbox). */
  compileCache: boolean;
}

/** Unzips into a fresh directory, then measures cold module init (import of the handler) in fresh processes. */
function measureInit(
  zipPath: string,
  entry: string,
  runs: number,
  setting: InitSetting = { node: process.execPath, compileCache: false },
): Summary {
  const dir = mkdtempSync(join(tmpdir(), "bench-init-"));
  const cacheDir = join(dir, ".compile-cache");
  try {
    for (const [name, data] of Object.entries(unzipSync(new Uint8Array(readFileSync(zipPath))))) {
      if (name.endsWith("/")) continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), data);
    }
    const script = `const t=performance.now();const m=await import(${JSON.stringify(join(dir, entry))});if(typeof m.handler!=="function")process.exit(3);process.stdout.write(String(performance.now()-t));`;
    const importOnce = () =>
      Number(
        execFileSync(setting.node, ["--input-type=module", "-e", script], {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: "us-east-1",
            TABLE_NAME: "bench",
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
            ...(setting.compileCache ? { NODE_COMPILE_CACHE: cacheDir } : {}),
          },
          encoding: "utf8",
        }),
      );
    if (setting.compileCache) importOnce();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(importOnce());
    return summarize(samples);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Init of both packages on one Node, without and with the compile cache. */
export interface InitOnNode {
  node: string;
  bundleInit: Summary;
  nodeModulesInit: Summary;
  bundleInitCached: Summary;
  nodeModulesInitCached: Summary;
}

export interface ArtifactComparison {
  bundleZipBytes: number;
  nodeModulesZipBytes: number;
  bundleInit: Summary;
  nodeModulesInit: Summary;
  packagesInNodeModulesZip: number;
  /** Per Node 22+ binary given: the same packages' init without and with Node's module compile cache. */
  compileCache: InitOnNode[];
}

/**
 * Bundle (dist/function.zip) vs the seed's approach (compiled dist + node_modules + package.json), side by side, on
 * the engine's Node; then on each of `compileCacheNodes` (Node 22+ binaries) without and with the compile cache.
 */
export async function compareArtifacts(
  runs: number,
  compileCacheRuns: number,
  compileCacheNodes: Array<{ path: string; version: string }> = [],
): Promise<ArtifactComparison> {
  const bundle = await buildFunctionArtifact();
  const work = mkdtempSync(join(tmpdir(), "bench-seed-"));
  try {
    const pkgDir = join(work, "pkg");
    mkdirSync(join(pkgDir, "dist"), { recursive: true });
    // Same code, compiled but not bundled: imports of packages stay imports, resolved from node_modules.
    await build({
      entryPoints: [FUNCTION_ENTRY],
      bundle: true,
      packages: "external",
      platform: "node",
      target: "node20",
      format: "esm",
      outfile: join(pkgDir, "dist/handler.js"),
      logLevel: "silent",
    });
    writeFileSync(
      join(pkgDir, "package.json"),
      JSON.stringify({ name: "seed-function", type: "module", main: "dist/handler.js" }),
    );
    const packages = copyDependencyClosure(FUNCTION_DEPENDENCIES, join(pkgDir, "node_modules"));
    const seedZip = join(work, "seed.zip");
    zipDirectory(pkgDir, seedZip);
    const nodeModulesInit = measureInit(seedZip, "dist/handler.js", runs);
    const bundleInit = measureInit(bundle.zipPath, "index.mjs", runs);
    const compileCache = compileCacheNodes.map(({ path, version }) => {
      const on = (compileCache: boolean) => ({ node: path, compileCache });
      return {
        node: version,
        bundleInit: measureInit(bundle.zipPath, "index.mjs", compileCacheRuns, on(false)),
        nodeModulesInit: measureInit(seedZip, "dist/handler.js", compileCacheRuns, on(false)),
        bundleInitCached: measureInit(bundle.zipPath, "index.mjs", compileCacheRuns, on(true)),
        nodeModulesInitCached: measureInit(seedZip, "dist/handler.js", compileCacheRuns, on(true)),
      };
    });
    return {
      compileCache,
      bundleZipBytes: bundle.zip.length,
      nodeModulesZipBytes: statSync(seedZip).size,
      bundleInit,
      nodeModulesInit,
      packagesInNodeModulesZip: packages,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
