import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BuildOptions, BuildResult, Metafile } from "esbuild";
import { zipSync } from "fflate";
import { runtimeMajor } from "../engine/lambda/runtimes.ts";
import { DEFAULT_RUNTIME } from "../stack/spec.ts";
import { FUNCTION_HANDLER } from "./handler.ts";
import { nodeHttpByRequire } from "./node-http-require.mjs";
import { DEFAULT_ARTIFACT_PATH, FUNCTION_ENTRY, repoRoot } from "./paths.ts";
import { codeSha256 } from "./sha.ts";

/**
 * esbuild's API, loaded when a build runs: `up`, `verify` and `watch` import this module to check the zip, and
 * importing esbuild costs about 40 ms (Node 20, measured by hand) that a current zip never needs.
 */
async function build(options: BuildOptions): Promise<BuildResult> {
  const esbuild = await import("esbuild");
  return esbuild.build(options);
}

export { DEFAULT_ARTIFACT_PATH, FUNCTION_HANDLER, repoRoot };

export interface FunctionArtifact {
  zipPath: string;
  zip: Uint8Array;
  /** Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  codeSha256: string;
  /** Bytes of JavaScript in the package (index.mjs and its chunks), unzipped. */
  bundleBytes: number;
  /** Files in the package: index.mjs and the chunks loaded on demand. */
  codeFiles: number;
  buildMs: number;
  /** Absolute paths of the project's own files in the bundle (not node_modules): what a change must rebuild. */
  sourceFiles: string[];
}

/** Error raised when the function cannot be bundled (a type or syntax error in src/function). */
class ArtifactBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ArtifactBuildError";
  }
}

// Fixed timestamps make the zip, and so CodeSha256, depend on the code only: `verify` compares hashes.
const ZIP_MTIME = new Date("2020-01-01T00:00:00Z");

/**
 * The esbuild target for a Lambda runtime: the Node major it names (`nodejs24.x` → `node24`).
 *
 * The zip's freshness check ({@link isArtifactCurrent}) does not look at the target: for this function esbuild
 * writes byte-identical output for node20, node22 and node24 (checked when the default moved to nodejs24.x).
 */
export function bundleTarget(runtime: string): string {
  const major = runtimeMajor(runtime);
  if (major === undefined) throw new ArtifactBuildError(`no bundle target for runtime '${runtime}'`);
  return `node${major}`;
}

/**
 * Bundles src/function with esbuild (ESM, the runtime's Node major as target, minified, source maps) into
 * `index.mjs` plus on-demand chunks and zips them with fflate (pure JS) as `dist/function.zip`, handler
 * `index.handler`.
 */
export async function buildFunctionArtifact(
  options: { outFile?: string; entry?: string; runtime?: string } = {},
): Promise<FunctionArtifact> {
  const started = performance.now();
  const zipPath = options.outFile ?? DEFAULT_ARTIFACT_PATH;
  const target = bundleTarget(options.runtime ?? DEFAULT_RUNTIME);
  let result: BuildResult;
  try {
    result = await build({
      ...bundleOptions(options.entry ?? FUNCTION_ENTRY),
      target,
      minify: true,
      sourcemap: "external",
      sourcesContent: false,
      // Where the zip goes, so the source maps' paths are relative to where they are written.
      outdir: dirname(zipPath),
      entryNames: "index",
      outExtension: { ".js": ".mjs" },
      // Code only reached through dynamic import() (the SDK's SSO, STS, INI and IMDS credential providers, which a
      // function with credentials in its environment never loads) goes to chunks/, out of the cold init path.
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      legalComments: "none",
      // Bundled CommonJS dependencies call require() for Node built-ins; ESM output needs one.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    });
  } catch (cause) {
    throw bundleError(cause);
  }
  const outDir = dirname(zipPath);
  const files = (result.outputFiles ?? [])
    .map((file) => ({ name: relative(outDir, file.path).split(sep).join("/"), contents: file.contents }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const code = files.filter((file) => file.name.endsWith(".mjs"));
  const sourceMaps = files.filter((file) => file.name.endsWith(".map"));
  if (!code.some((file) => file.name === "index.mjs"))
    throw new ArtifactBuildError("function bundle failed: esbuild produced no index.mjs");
  // Source maps stay beside the zip (dist/index.mjs.map, dist/chunks/*.map) rather than in it: they would
  // triple the package.
  const zip = zipSync(
    Object.fromEntries(code.map((file) => [file.name, [file.contents, { mtime: ZIP_MTIME }] as const])),
    { level: 9 },
  );
  await mkdir(join(outDir, "chunks"), { recursive: true });
  await writeAtomically(zipPath, zip);
  for (const map of sourceMaps) await writeAtomically(join(outDir, map.name), map.contents);
  await removeStaleChunkMaps(join(outDir, "chunks"), new Set(sourceMaps.map((map) => map.name)));
  const sourceFiles = localInputs(result.metafile);
  await writeAtomically(sourcesManifestPath(zipPath), new TextEncoder().encode(JSON.stringify(sourceFiles)));
  const bundleBytes = code.reduce((total, file) => total + file.contents.length, 0);
  return {
    zipPath,
    zip,
    codeSha256: codeSha256(zip),
    bundleBytes,
    codeFiles: code.length,
    buildMs: performance.now() - started,
    sourceFiles,
  };
}

/**
 * The function built for a debugger (`pipeline up --inspect`): not minified (names and lines as written), its
 * source map inline with the TypeScript sources in it, and each source's absolute `file://` path in the repo. A
 * debugger attached to the runtime then shows src/function/*.ts wherever the engine unpacked the code, with no
 * path mapping and no map file to find; a breakpoint set on a file of the repo binds to the same path. Returned as
 * zip bytes only (dist/ keeps the release build that `verify` compares against).
 */
export async function buildDebugFunctionArtifact(runtime = DEFAULT_RUNTIME): Promise<Uint8Array> {
  const outdir = join(repoRoot, "dist");
  let result: BuildResult;
  try {
    result = await build({
      ...bundleOptions(FUNCTION_ENTRY),
      target: bundleTarget(runtime),
      sourcemap: "inline",
      sourcesContent: true,
      // The map's sources are relative to outdir (`../src/function/handler.ts`): rooted at dist/ they name the repo's files.
      sourceRoot: `${pathToFileURL(outdir).href}/`,
      outdir,
      entryNames: "index",
      outExtension: { ".js": ".mjs" },
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    });
  } catch (cause) {
    throw bundleError(cause);
  }
  const code = (result.outputFiles ?? []).filter((file) => file.path.endsWith(".mjs"));
  return zipSync(
    Object.fromEntries(
      code.map((file) => [
        relative(outdir, file.path).split(sep).join("/"),
        [file.contents, { mtime: ZIP_MTIME }] as const,
      ]),
    ),
    { level: 6 },
  );
}

// What the bundle and the source-listing pass share, so both resolve the same files.
function bundleOptions(entry: string) {
  return {
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: "node",
    format: "esm",
    // ESM entry points first: the SDK's dist-es tree-shakes, halving the bundle and its cold init time.
    mainFields: ["module", "main"],
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [nodeHttpByRequire],
  } satisfies BuildOptions;
}

function bundleError(cause: unknown): ArtifactBuildError {
  const first = (cause as { errors?: Array<{ text: string; location?: { file: string; line: number } }> })
    .errors?.[0];
  const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
  return new ArtifactBuildError(`function bundle failed: ${first?.text ?? String(cause)}${where}`, { cause });
}

function localInputs(metafile: Metafile | undefined): string[] {
  return Object.keys(metafile?.inputs ?? {})
    .filter((input) => !input.split(/[\\/]/).includes("node_modules"))
    .map((input) => resolve(repoRoot, input))
    .sort();
}

/** The list of source files a build used, written beside its zip (dist/function.sources.json). */
function sourcesManifestPath(zipPath: string): string {
  return join(dirname(zipPath), "function.sources.json");
}

/**
 * The project's own files the function is bundled from (the entry and everything it imports outside
 * node_modules), found by an esbuild pass that resolves imports without minifying or writing.
 */
export async function functionSourceFiles(entry = FUNCTION_ENTRY): Promise<string[]> {
  try {
    return localInputs((await build(bundleOptions(entry))).metafile);
  } catch (cause) {
    throw bundleError(cause);
  }
}

/** The source files recorded by the build that wrote `zipPath`, or undefined when it has no record. */
export async function readBuiltSourceFiles(zipPath = DEFAULT_ARTIFACT_PATH): Promise<string[] | undefined> {
  try {
    const files: unknown = JSON.parse(await readFile(sourcesManifestPath(zipPath), "utf8"));
    return Array.isArray(files) && files.every((f) => typeof f === "string") ? files : undefined;
  } catch {
    return undefined;
  }
}

// Chunk names carry a content hash: maps of earlier builds' chunks would pile up in dist/chunks.
async function removeStaleChunkMaps(chunksDir: string, current: Set<string>): Promise<void> {
  for (const name of await readdir(chunksDir).catch(() => [] as string[])) {
    if (name.endsWith(".map") && !current.has(`chunks/${name}`))
      await rm(join(chunksDir, name), { force: true });
  }
}

// Several processes (parallel test suites, `up` and `watch`) may build at once: readers must never see half a zip.
async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** Reads an existing artifact (built earlier), or undefined when there is none. */
export async function readFunctionArtifact(zipPath = DEFAULT_ARTIFACT_PATH): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(zipPath));
  } catch {
    return undefined;
  }
}

/** The files that make the bundle rather than go in it: a change to how it is built makes the zip stale too. */
const BUILD_FILES = [import.meta.url, new URL("./node-http-require.mjs", import.meta.url).href].map((url) =>
  fileURLToPath(url),
);

/**
 * The sources the zip was built from, when it is at least as new as every one of them, as the build's own files
 * and as the lock file (its dependencies); undefined when it is stale, has no record, or a recorded source is gone.
 */
async function currentBuildSources(zipPath: string): Promise<string[] | undefined> {
  const sources = await readBuiltSourceFiles(zipPath);
  if (!sources?.length) return undefined;
  try {
    const zipTime = (await stat(zipPath)).mtimeMs;
    const lockTime = await stat(join(repoRoot, "package-lock.json")).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    const sourceTimes = await Promise.all(
      [...sources, ...BUILD_FILES].map(async (path) => (await stat(path)).mtimeMs),
    );
    return zipTime >= Math.max(lockTime, ...sourceTimes) ? sources : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the zip is at least as new as every file it was built from (see {@link currentBuildSources}). */
export async function isArtifactCurrent(zipPath = DEFAULT_ARTIFACT_PATH): Promise<boolean> {
  return (await currentBuildSources(zipPath)) !== undefined;
}

/**
 * The function's source files, cheaply when possible: the record of the last build while that build is current
 * (no source changed since, so its imports are the same), else an esbuild pass that resolves them.
 */
export async function currentFunctionSourceFiles(): Promise<string[]> {
  return (await currentBuildSources(DEFAULT_ARTIFACT_PATH)) ?? functionSourceFiles();
}
