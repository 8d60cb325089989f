import {
  buildFunctionArtifact,
  DEFAULT_ARTIFACT_PATH,
  isArtifactCurrent,
  readFunctionArtifact,
} from "../../src/artifact/build.ts";
import { CliError, ExitCode } from "./errors.ts";

/**
 * The deployment package: dist/function.zip when it is newer than the function's source, else a fresh build
 * (a stale zip would deploy old code and make verify's hash check lie).
 */
export async function ensureFunctionArtifact(runtime?: string): Promise<{ zip: Uint8Array; built: boolean }> {
  const existing = await readFunctionArtifact();
  if (existing && (await isArtifactCurrent(DEFAULT_ARTIFACT_PATH))) return { zip: existing, built: false };
  try {
    const artifact = await buildFunctionArtifact(runtime ? { runtime } : {});
    return { zip: artifact.zip, built: true };
  } catch (cause) {
    throw new CliError(ExitCode.failed, (cause as Error).message, { cause });
  }
}
