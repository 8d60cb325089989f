import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
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
  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  let bundleBytes = 0;
  for (const file of result.outputFiles ?? []) {
    const name = file.path.endsWith(".map") ? "index.mjs.map" : "index.mjs";
    if (name === "index.mjs") bundleBytes = file.contents.length;
    files[name] = [file.contents, { mtime: ZIP_MTIME }];
  }
  const zip = zipSync(files, { level: 9 });
  await mkdir(dirname(zipPath), { recursive: true });
  await writeFile(zipPath, zip);
  return { zipPath, zip, codeSha256: codeSha256(zip), bundleBytes, buildMs: performance.now() - started };
}

/** Reads an existing artifact (built earlier), or undefined when there is none. */
export async function readFunctionArtifact(zipPath = DEFAULT_ARTIFACT_PATH): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(zipPath));
  } catch {
    return undefined;
  }
}

export async function removeArtifact(zipPath = DEFAULT_ARTIFACT_PATH): Promise<void> {
  await rm(zipPath, { force: true });
}
