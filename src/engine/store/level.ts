import { existsSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StoreInUseError } from "./index.ts";

/**
 * classic-level (a native addon and its JavaScript, about 100 ms to load under tsx) is loaded only when a LevelDB
 * store is checked or repaired: an engine without `--persist` never needs it.
 */
const loadClassicLevel = async () => (await import("classic-level")).ClassicLevel;

/** LevelDB's own error when classic-level's open fails because the database's LOCK is held (LEVEL_LOCKED). */
function lockedCause(error: unknown): { message?: string } | undefined {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code === "LEVEL_LOCKED" ? cause : undefined;
}

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
      locked: lockedCause(error) !== undefined,
      detail: `${(error as { code?: string }).code ?? "error"}: ${detail}`,
    };
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** The directory under a data directory that holds its lock: a LevelDB database that stores nothing. */
const DATA_DIR_LOCK = "engine.lock";

/** A data directory held by this process (one engine, or one repair); `release` lets the next one in. */
export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Data directories this process holds, by real path: one set per process (a global, as the CLI's bundle and the
 * sources may both be loaded in one). Checked before LevelDB is asked, because LevelDB finds its own process's lock
 * by opening the LOCK file and closing it again, and on POSIX that close drops every fcntl lock the process holds on
 * the file: the first engine would lose its lock to the second's attempt.
 */
const heldSlot = Symbol.for("image-metadata-pipeline.heldDataDirs");
const processGlobals = globalThis as Record<symbol, Set<string> | undefined>;
const heldHere: Set<string> = processGlobals[heldSlot] ?? new Set();
processGlobals[heldSlot] = heldHere;

/**
 * Takes `dataDir` for one engine or one repair, whatever stores it holds (journals, dynalite's LevelDB or DynamoDB
 * Local's files), before any of them is opened. Across processes the lock is LevelDB's own (classic-level, already a
 * dependency): an fcntl lock on its LOCK file, which the kernel releases however the process ends, so a restart
 * right after a SIGKILL is never refused for a stale lock (Node has no file-lock API of its own); within this
 * process, {@link heldHere}. Held either way: StoreInUseError, and nothing was read or changed.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, DATA_DIR_LOCK);
  const key = realpathSync(dataDir);
  if (heldHere.has(key))
    throw new StoreInUseError(dataDir, `its lock ${path} is held (by an engine in this process)`);
  heldHere.add(key);
  try {
    const ClassicLevel = await loadClassicLevel();
    const open = async () => {
      const db = new ClassicLevel(path);
      await db.open();
      return {
        release: async () => {
          await db.close();
          heldHere.delete(key);
        },
      };
    };
    try {
      return await open();
    } catch (error) {
      const locked = lockedCause(error);
      if (locked)
        throw new StoreInUseError(dataDir, `its lock ${path} is held (${locked.message ?? "LEVEL_LOCKED"})`, {
          cause: error,
        });
      // Not held, but unreadable (its files damaged): it stores nothing, so it is made again.
      rmSync(path, { recursive: true, force: true });
      return await open();
    }
  } catch (error) {
    heldHere.delete(key);
    throw error;
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
