import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  buildFunctionArtifact,
  DEFAULT_ARTIFACT_PATH,
  readFunctionArtifact,
} from "../../src/artifact/build.ts";
import { FUNCTION_SOURCE_DIR } from "../../src/artifact/paths.ts";
import { CliError, ExitCode } from "./errors.ts";

async function newestSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? await newestSourceMtime(path) : (await stat(path)).mtimeMs,
    );
  }
  return newest;
}

/**
 * The deployment package: dist/function.zip when it is newer than the function's source, else a fresh build
 * (a stale zip would deploy old code and make verify's hash check lie).
 */
export async function ensureFunctionArtifact(): Promise<{ zip: Uint8Array; built: boolean }> {
  const existing = await readFunctionArtifact();
  if (existing) {
    const [zipTime, sourceTime] = await Promise.all([
      stat(DEFAULT_ARTIFACT_PATH).then((s) => s.mtimeMs),
      newestSourceMtime(FUNCTION_SOURCE_DIR),
    ]);
    if (zipTime >= sourceTime) return { zip: existing, built: false };
  }
  try {
    const artifact = await buildFunctionArtifact();
    return { zip: artifact.zip, built: true };
  } catch (cause) {
    throw new CliError(ExitCode.failed, (cause as Error).message, { cause });
  }
}
