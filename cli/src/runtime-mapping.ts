import { parseRuntimeMapping, RuntimeMappingError } from "../../src/engine/lambda/runtimes.ts";
import { UsageError } from "./errors.ts";

/**
 * A `--runtime-node` list as the engine's mapping; a malformed entry is a usage error. Its own module so that `up`
 * does not load the `runtimes` verb's installer (tar, the progress bar) to read it.
 */
export function runtimeNodeMapping(entries: string[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  try {
    return parseRuntimeMapping(entries);
  } catch (error) {
    if (error instanceof RuntimeMappingError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
