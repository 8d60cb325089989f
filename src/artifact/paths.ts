import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root, from this file's place in `src/artifact/`. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const entryOverride = process.env.PIPELINE_FUNCTION_ENTRY?.trim() || undefined;

/**
 * The function's handler source: `PIPELINE_FUNCTION_ENTRY` (absolute path of a handler .ts, for working on a
 * copy of the function) or src/function/handler.ts.
 */
export const FUNCTION_ENTRY = entryOverride
  ? resolve(entryOverride)
  : join(repoRoot, "src/function/handler.ts");

/** The folder whose changes mean "rebuild the function" (`watch` redeploys, `up` rebuilds a stale zip). */
export const FUNCTION_SOURCE_DIR = dirname(FUNCTION_ENTRY);

/**
 * dist/function.zip for the repo's function. A function from PIPELINE_FUNCTION_ENTRY builds to `dist/` beside
 * its source folder instead, so an experiment never replaces the repo's artifact (which `verify` compares
 * against), and the zip is written outside the folder `watch` watches.
 */
export const DEFAULT_ARTIFACT_PATH = entryOverride
  ? join(dirname(FUNCTION_SOURCE_DIR), "dist/function.zip")
  : join(repoRoot, "dist/function.zip");
