import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { zipSync } from "fflate";
import { FUNCTION_HANDLER } from "./handler.ts";
import { DEFAULT_ARTIFACT_PATH, FUNCTION_ENTRY, repoRoot } from "./paths.ts";
import { codeSha256 } from "./sha.ts";

export { codeSha256, DEFAULT_ARTIFACT_PATH, FUNCTION_ENTRY, FUNCTION_HANDLER, repoRoot };

export interface FunctionArtifact {
  zipPath: string;
  zip: Uint8Array;
  /** Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  codeSha256: string;
  bundleBytes: number;
  buildMs: number;
}

/** Error raised when the function cannot be bundled (a type or syntax error in src/function). */
export class ArtifactBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ArtifactBuildError";
  }
}

// Fixed timestamps make the zip, and so CodeSha256, depend on the code only: `verify` compares hashes.
const ZIP_MTIME = new Date("2020-01-01T00:00:00Z");

/**
 * Bundles src/function with esbuild (ESM, node20, minified, source map) into `index.mjs` and zips it
 * with fflate (pure JS) as `dist/function.zip`, handler `index.handler`.
 */
export async function buildFunctionArtifact(
  options: { outFile?: string; entry?: string } = {},
): Promise<FunctionArtifact> {
  const started = performance.now();
  const zipPath = options.outFile ?? DEFAULT_ARTIFACT_PATH;
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: [options.entry ?? FUNCTION_ENTRY],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      // ESM entry points first: the SDK's dist-es tree-shakes, halving the bundle and its cold init time.
      mainFields: ["module", "main"],
      minify: true,
      sourcemap: "external",
      sourcesContent: false,
      outfile: "index.mjs",
      write: false,
      logLevel: "silent",
      legalComments: "none",
      // Bundled CommonJS dependencies call require() for Node built-ins; ESM output needs one.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    });
  } catch (cause) {
    const first = (cause as { errors?: Array<{ text: string; location?: { file: string; line: number } }> })
      .errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    throw new ArtifactBuildError(`function bundle failed: ${first?.text ?? String(cause)}${where}`, {
      cause,
    });
  }
  const bundle = result.outputFiles?.find((file) => file.path.endsWith(".mjs"));
  const sourceMap = result.outputFiles?.find((file) => file.path.endsWith(".map"));
  if (!bundle) throw new ArtifactBuildError("function bundle failed: esbuild produced no output");
  // The source map stays beside the zip (dist/index.mjs.map) rather than in it: it would triple the package.
  const zip = zipSync({ "index.mjs": [bundle.contents, { mtime: ZIP_MTIME }] }, { level: 9 });
  await mkdir(dirname(zipPath), { recursive: true });
  await writeAtomically(zipPath, zip);
  if (sourceMap) await writeAtomically(join(dirname(zipPath), "index.mjs.map"), sourceMap.contents);
  const bundleBytes = bundle.contents.length;
  return { zipPath, zip, codeSha256: codeSha256(zip), bundleBytes, buildMs: performance.now() - started };
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
