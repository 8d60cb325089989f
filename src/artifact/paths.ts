import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root, from this file's place in `src/artifact/`. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FUNCTION_ENTRY = join(repoRoot, "src/function/handler.ts");
export const DEFAULT_ARTIFACT_PATH = join(repoRoot, "dist/function.zip");
