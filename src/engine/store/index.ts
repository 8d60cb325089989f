import { AsyncLocalStorage } from "node:async_hooks";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Journal, type JournalCompaction, JournalDamagedError } from "./journal.ts";
import type { DataDirLock } from "./level.ts";

/**
 * The engine's one persistence layer (`--persist DIR`). Every service's durable state goes through it as
 * journals of records: checksummed lines, group-committed and fsynced (see {@link Journal}). The guarantee:
 * a write is durable (on disk, fsynced, across SIGKILL and power loss) before the request that made it is
 * answered: the dispatcher runs each handler in {@link DurableStore.run}, which collects the writes made in the
 * handler's asynchronous context and waits for them before it returns. Blob bytes (S3
 * objects, Lambda code) stay in files, written and fsynced before the record that names them.
 */

/** Where a service's journal lives under the data directory: `<directory>/journal.log`, its folder its own. */
export function journalPath(dataDir: string, directory: string): string {
  return join(dataDir, directory, "journal.log");
}

/**
 * What a service keeps under the data directory, as `pipeline repair` reads it: the service's section declares it
 * (service/section.ts), so this layer and the repair name no service.
 */
export interface ServiceStorage {
  /** The service's folder under the data directory (its journal, blob or code files, database). */
  directory: string;
  /**
   * A journal of records at {@link journalPath}. `keepIntact` drops the records whose files are missing or short
   * (blobs, code), naming each loss in one line; the same check refuses the service's start.
   */
  journal?: {
    keepIntact?(dataDir: string, records: unknown[]): Promise<{ records: unknown[]; lost: string[] }>;
  };
  /** A LevelDB database in the folder itself (DynamoDB through dynalite), checked and rebuilt by store/level.ts. */
  level?: true;
}

/** The command that repairs a data directory, as the refusal to start names it. */
const repairCommand = (dataDir: string): string => `pipeline repair --persist ${dataDir}`;

/** Raised at start when stored state is damaged; nothing was changed, and the message names the repair. */
export class StoreDamagedError extends Error {
  readonly dataDir: string;

  constructor(dataDir: string, detail: string, options?: { cause?: unknown }) {
    super(`store damaged: ${detail}; nothing was changed. Run: ${repairCommand(dataDir)}`, options);
    this.dataDir = dataDir;
    this.name = "StoreDamagedError";
  }
}

/**
 * Raised when another process holds the store open (an engine serving it, or one killed a moment ago that has not
 * exited yet): nothing is damaged and nothing was changed, so the message names no repair.
 */
export class StoreInUseError extends Error {
  readonly dataDir: string;

  constructor(dataDir: string, detail: string, options?: { cause?: unknown }) {
    super(
      `store in use: ${detail}; another engine (or one still exiting) has ${dataDir} open. Stop it, or use another --persist directory`,
      options,
    );
    this.dataDir = dataDir;
    this.name = "StoreInUseError";
  }
}

/** A write a request made could not be made durable; the request is answered with an error. */
export class StoreWriteError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "StoreWriteError";
  }
}

export class DurableStore {
  readonly dataDir: string;
  readonly #notice: (message: string) => void;
  readonly #journals = new Set<Journal<unknown>>();
  #lock: DataDirLock | undefined;
  /** Durable writes that precede a journal record (blob files), which an answer must also wait for. */
  readonly #tracked = new Set<Promise<unknown>>();
  /** The writes made by the request running in the current asynchronous context. */
  readonly #scope = new AsyncLocalStorage<Array<Promise<unknown>>>();

  /** `notice` is for what a user must see in normal output (a torn tail dropped), not debug logs. */
  constructor(dataDir: string, notice: (message: string) => void) {
    this.dataDir = dataDir;
    this.#notice = notice;
  }

  /** The path of the journal in a service's folder. */
  path(directory: string): string {
    return journalPath(this.dataDir, directory);
  }

  /**
   * Opens a service's journal: replays it through `snapshot` (which rebuilds the service's state and returns
   * the records that recreate it), reports a torn tail, and refuses damage with a {@link StoreDamagedError}.
   */
  async open<T>(
    name: string,
    snapshot: (records: T[]) => T[],
    compaction?: JournalCompaction<T>,
  ): Promise<Journal<T>> {
    const path = this.path(name);
    await mkdir(dirname(path), { recursive: true });
    try {
      const { journal, contents } = await Journal.open<T>(path, snapshot, compaction);
      if (contents.tornTail)
        this.#notice(
          `${name}: dropped a torn tail of ${contents.tornBytes} byte(s) at the end of ${path} (a write cut off by a crash, never acknowledged)`,
        );
      journal.onAppend = (written) => this.#scope.getStore()?.push(written);
      this.#journals.add(journal as Journal<unknown>);
      return journal;
    } catch (error) {
      if (error instanceof JournalDamagedError) throw this.damaged(error.message, error);
      throw error;
    }
  }

  /** The refusal for damage found by a service's own check (a missing blob file, say). */
  damaged(detail: string, cause?: unknown): StoreDamagedError {
    return new StoreDamagedError(this.dataDir, detail, cause === undefined ? {} : { cause });
  }

  /** Tells the user something about the store that is not an error (normal output). */
  notice(message: string): void {
    this.#notice(message);
  }

  /** Makes {@link settled} also wait for `write` (a blob file the next record names). */
  track<T>(write: Promise<T>): Promise<T> {
    this.#scope.getStore()?.push(write);
    this.#tracked.add(write);
    const forget = () => this.#tracked.delete(write);
    write.then(forget, forget);
    return write;
  }

  /**
   * Runs a request's handler, then waits until every write it made is durable. A handler that fails still has its
   * writes waited for (its error is what is answered); a write that failed makes this reject with its error.
   */
  async run<T>(handler: () => Promise<T>): Promise<T> {
    const writes: Array<Promise<unknown>> = [];
    let output: T;
    try {
      output = await this.#scope.run(writes, handler);
    } catch (error) {
      await Promise.allSettled(writes);
      throw error;
    }
    // Writes made while waiting (none expected) are in the same array, so loop until it stops growing.
    for (let waited = 0; waited < writes.length; ) {
      const pending = writes.slice(waited);
      waited = writes.length;
      await Promise.all(pending).catch((cause: unknown) => {
        throw new StoreWriteError(cause);
      });
    }
    return output;
  }

  /**
   * Resolves once every write begun before the call is durable; rejects if one of them failed (the answer then
   * is an error, never an acknowledgement).
   */
  async settled(): Promise<void> {
    if (this.#tracked.size > 0) await Promise.all([...this.#tracked]);
    const pending = [...this.#journals].map((journal) => journal.settled());
    if (pending.length > 0) await Promise.all(pending);
  }

  /**
   * Takes the data directory for this engine (level.ts `lockDataDir`) before any journal or store in it is opened:
   * another engine holding it is a StoreInUseError, and nothing was read or changed. Released by {@link close}.
   */
  async lock(): Promise<void> {
    const { lockDataDir } = await import("./level.ts");
    this.#lock ??= await lockDataDir(this.dataDir);
  }

  /** Closes every journal once its queued records are written, then lets the data directory go. */
  async close(): Promise<void> {
    for (const journal of this.#journals) await journal.close();
    this.#journals.clear();
    // Last: the directory is free once every journal in it is closed.
    await this.#lock?.release();
    this.#lock = undefined;
  }

  /** Stops tracking a closed journal (its service closed it first). */
  forget(journal: Journal<unknown>): void {
    this.#journals.delete(journal);
  }
}
