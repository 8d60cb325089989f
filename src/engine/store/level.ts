import { existsSync } from "node:fs";
import { StoreInUseError } from "./index.ts";

/**
 * classic-level (a native addon and its JavaScript, about 100 ms to load under tsx) is loaded only when a LevelDB
 * store is checked or repaired: an engine without `--persist` never needs it.
 */
const loadClassicLevel = async () => (await import("classic-level")).ClassicLevel;

/** What is wrong with a LevelDB store: held open by another process (not damage), or unreadable. */
export interface LevelStoreProblem {
  locked: boolean;
  /** LevelDB's code and message, for the user. */
  detail: string;
}

/**
 * Reads every entry of a LevelDB database (DynamoDB's store under dynalite), so damage in any of its table files
 * shows at start instead of at the first Scan that reaches it (LEVEL_CORRUPTION, which ends the engine). Returns
 * what is wrong, or undefined when every entry reads. A directory that does not exist yet is fine. A store another
 * process holds open (LevelDB's LOCK file, classic-level's LEVEL_LOCKED) is reported as locked, never as damage.
 */
export async function checkLevelStore(path: string): Promise<LevelStoreProblem | undefined> {
  if (!existsSync(path)) return undefined;
  const ClassicLevel = await loadClassicLevel();
  const db = new ClassicLevel<Buffer, Buffer>(path, {
    createIfMissing: false,
    keyEncoding: "buffer",
    valueEncoding: "buffer",
  });
  try {
    await db.open();
    for await (const _ of db.keys({ fillCache: false })) {
      // Reading the keys walks every data block; values are in the same blocks.
    }
    for await (const _ of db.values({ fillCache: false })) {
      // and every value, so a block that decodes but whose entries do not is found too.
    }
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const detail =
      cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
    return {
      locked: (cause as { code?: string } | undefined)?.code === "LEVEL_LOCKED",
      detail: `${(error as { code?: string }).code ?? "error"}: ${detail}`,
    };
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** The refusal for a LevelDB store under `dataDir` that another process holds open. */
export function levelStoreInUse(dataDir: string, path: string, problem: LevelStoreProblem): StoreInUseError {
  return new StoreInUseError(dataDir, `the DynamoDB store ${path} is locked (${problem.detail})`);
}

/**
 * Rebuilds a LevelDB database from what its files still hold (LevelDB's own RepairDB): entries in damaged blocks
 * are lost. The caller keeps a copy of the files first.
 */
export async function repairLevelStore(path: string): Promise<void> {
  await (await loadClassicLevel()).repair(path);
}
