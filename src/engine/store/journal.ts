import type { FileHandle } from "node:fs/promises";
import { constants, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { syncDirectory } from "./fsync.ts";

/** Raised when the journal cannot be written durably; the write it carried was not acknowledged. */
export class JournalWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JournalWriteError";
  }
}

/** Raised when a compaction could not replace the journal; the old journal is still complete and in use. */
export class JournalCompactionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JournalCompactionError";
  }
}

/** Raised when a journal holds damaged records before valid ones; the file was left as it was. */
export class JournalDamagedError extends Error {
  readonly path: string;
  readonly damaged: DamagedRange[];

  constructor(path: string, damaged: DamagedRange[]) {
    const first = damaged[0];
    super(
      `${path}: ${damaged.length} damaged record(s)${first ? ` (the first at byte ${first.offset}, ${first.bytes} bytes)` : ""}`,
    );
    this.path = path;
    this.damaged = damaged;
    this.name = "JournalDamagedError";
  }
}

/** A run of bytes in a journal file that is not a valid record. */
export interface DamagedRange {
  /** Byte offset in the file. */
  offset: number;
  bytes: number;
}

/** What reading a journal found: the valid records, lines that are damaged, and a torn tail. */
export interface JournalContents<T> {
  records: T[];
  /** Damaged lines followed by valid records (not a torn tail): records there are lost unless repaired. */
  damagedLines: number;
  /** Where each damaged line is. */
  damaged: DamagedRange[];
  /** Whether the file ends in bytes that are not records (a batch cut off by a crash mid-write). */
  tornTail: boolean;
  /** How many bytes that torn tail has (0 without one). */
  tornBytes: number;
}

/** Default floor of {@link JournalCompaction.minAppends}. */
const DEFAULT_COMPACT_AFTER = 10_000;

/**
 * Compaction while the journal is open. The journal is rewritten once the records appended since the last
 * compaction exceed `max(minAppends, 2 × live records)`: each compaction writes L records after at least 2L
 * appends, so its cost is at most half a record per append (constant, amortised), and the file stays under
 * about 3 × the live state + `minAppends` records. The floor keeps small states from paying two fsyncs and a
 * rename every few writes; at ~0.5 KB a record, 10,000 records is ~5 MB and replays in well under a second.
 */
export interface JournalCompaction<T> {
  /**
   * Records that recreate the state after every record appended so far, including those not yet durable
   * (the caller applies a change to its state before appending it). Called synchronously.
   */
  live: () => T[];
  /** Floor of the trigger above (default {@link DEFAULT_COMPACT_AFTER}). */
  minAppends?: number;
  /** Told when an automatic compaction fails (at most once per journal); appends go on to the old file. */
  onError?: (error: JournalCompactionError) => void;
  /** Told after each successful compaction, with the number of records written. */
  onCompacted?: (records: number) => void;
}

interface Pending {
  /** Empty for a barrier ({@link Journal.settled}): it writes nothing and resolves with its batch. */
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Write-only, append-mode, created or truncated: one handle writes the snapshot and then takes appends. */
const SNAPSHOT_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND;

/**
 * An append-only journal of JSON records, one per line, each prefixed with the CRC-32 of its JSON so a
 * record cut off by a crash (SIGKILL mid-write) is recognised and dropped on the next start. Appends are
 * group-committed: records queued while a flush is in flight are written and fsynced together, and each
 * append resolves only once its record is durable.
 *
 * With a {@link JournalCompaction}, the journal also compacts itself while open. Compaction is a step of the
 * same flush loop that writes appends, so nothing is written to the old file while the snapshot is taken
 * and swapped in. The snapshot is taken synchronously together with the queue of not-yet-written appends:
 * it already contains their effect, so they resolve once the snapshot is durable; appends arriving later
 * wait in the queue and go to the new file.
 */
export class Journal<T> {
  readonly #path: string;
  readonly #compaction: JournalCompaction<T> | undefined;
  readonly #minAppends: number;
  #handle: FileHandle;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /**
   * Records in the file right after the last compaction: the live state then. After a failed compaction, the
   * whole file, so the next attempt waits for twice as many appends again.
   */
  #liveRecords: number;
  /** Records appended since the last compaction (or failed attempt). */
  #appended = 0;
  /** Explicit `compact()` calls waiting for the next compaction. */
  #compactWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  #compactionFailed = false;
  /** Set when the directory fsync after a swap failed: the next batch retries it before acknowledging. */
  #directoryUnsynced = false;
  /** The first write failure; every later append and barrier is refused with it. */
  #failed: JournalWriteError | undefined;
  #closed = false;

  private constructor(
    path: string,
    handle: FileHandle,
    liveRecords: number,
    compaction: JournalCompaction<T> | undefined,
  ) {
    this.#path = path;
    this.#handle = handle;
    this.#liveRecords = liveRecords;
    this.#compaction = compaction;
    this.#minAppends = compaction?.minAppends ?? DEFAULT_COMPACT_AFTER;
  }

  /**
   * Opens a journal, first rewriting it to `snapshot(records)` (compaction), so the file on disk holds only
   * records that matter and any torn tail is gone (the caller reports `contents.tornBytes`). Damage before the
   * tail is a {@link JournalDamagedError}, and the file is left untouched. With `compaction`, it keeps
   * compacting while open.
   */
  static async open<T>(
    path: string,
    snapshot: (records: T[]) => T[],
    compaction?: JournalCompaction<T>,
  ): Promise<{ journal: Journal<T>; contents: JournalContents<T> }> {
    const contents = await readJournal<T>(path);
    // Nothing is written over a file with damage in it: the caller refuses to start, repair keeps a copy.
    if (contents.damagedLines > 0) throw new JournalDamagedError(path, contents.damaged);
    const compacted = snapshot(contents.records);
    const handle = await writeSnapshot(path, compacted.map(encodeLine).join(""));
    try {
      await syncDirectory(dirname(path));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { journal: new Journal<T>(path, handle, compacted.length, compaction), contents };
  }

  /**
   * Appends a record; resolves when it is on disk. After a failed write the journal refuses every later one:
   * the state in memory then holds a change the file lacks, and only a restart (a replay) makes them agree.
   */
  append(record: T): Promise<void> {
    const written: Promise<void> = this.#failed
      ? Promise.reject(this.#failed)
      : new Promise((resolve, reject) => {
          this.#queue.push({ line: encodeLine(record), resolve, reject });
          this.#kick();
        });
    this.onAppend?.(written);
    return written;
  }

  /** Told of every append's promise (the durable store collects those of the request that made them). */
  onAppend: ((written: Promise<void>) => void) | undefined;

  /** Resolves once every record appended before the call is on disk; rejects if any of them was not written. */
  settled(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (!this.#flushing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: "", resolve, reject });
      this.#kick();
    });
  }

  /**
   * Compacts now, in turn with the appends: resolves once the journal holds only the live records, rejects
   * with {@link JournalCompactionError} if it could not (the old journal then stays in use).
   */
  compact(): Promise<void> {
    if (!this.#compaction) return Promise.reject(new JournalCompactionError("journal has no compaction"));
    return new Promise((resolve, reject) => {
      this.#compactWaiters.push({ resolve, reject });
      this.#kick();
    });
  }

  /** Records in the journal file now: the last snapshot plus the records appended after it. */
  get size(): number {
    return this.#liveRecords + this.#appended;
  }

  #kick(): void {
    this.#flushing ??= this.#flush();
  }

  #compactionDue(): boolean {
    if (!this.#compaction) return false;
    if (this.#compactWaiters.length > 0) return true;
    return this.#appended > Math.max(this.#minAppends, 2 * this.#liveRecords);
  }

  async #flush(): Promise<void> {
    // Yield once so `#flushing` is assigned before the loop can end; it is then cleared in the same
    // synchronous step as the last empty-queue check, so an append never finds a flush that is finishing.
    await undefined;
    try {
      for (;;) {
        if (this.#compactionDue()) {
          await this.#compact();
          continue;
        }
        if (this.#queue.length === 0) return;
        await this.#writeBatch(this.#queue.splice(0));
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    if (batch.every((entry) => entry.line === "")) {
      // Only barriers: what was appended before them was in the batches already written, so no I/O is needed.
      for (const entry of batch) this.#failed ? entry.reject(this.#failed) : entry.resolve();
      return;
    }
    try {
      await this.#handle.appendFile(batch.map((entry) => entry.line).join(""));
      await this.#handle.datasync();
      if (this.#directoryUnsynced) {
        await syncDirectory(dirname(this.#path));
        this.#directoryUnsynced = false;
      }
      this.#appended += batch.filter((entry) => entry.line !== "").length;
      for (const entry of batch) entry.resolve();
    } catch (cause) {
      const error = new JournalWriteError(
        `could not write ${this.#path} (writes are refused until the engine restarts): ${causeText(cause)}`,
        { cause },
      );
      this.#failed ??= error;
      for (const entry of batch) entry.reject(error);
    }
  }

  /**
   * Replaces the file with a snapshot of the live state. Before the rename, any failure leaves the old file
   * complete and in use: the queued appends taken with the snapshot are then written to it as usual. After
   * the rename, the new file is the journal whatever happens next.
   */
  async #compact(): Promise<void> {
    const compaction = this.#compaction as JournalCompaction<T>;
    const waiters = this.#compactWaiters.splice(0);
    // Synchronously, with no await in between: the snapshot reflects exactly these queued appends.
    const subsumed = this.#queue.splice(0);
    let records = 0;
    let replacement: FileHandle;
    try {
      const live = compaction.live();
      records = live.length;
      replacement = await writeSnapshot(this.#path, live.map(encodeLine).join(""));
    } catch (cause) {
      this.#compactionFailedWith(
        new JournalCompactionError(`could not compact ${this.#path}`, { cause }),
        waiters,
      );
      if (subsumed.length > 0) await this.#writeBatch(subsumed);
      return;
    }
    const previous = this.#handle;
    this.#handle = replacement;
    this.#liveRecords = records;
    this.#appended = 0;
    await previous.close().catch(() => undefined);
    try {
      // The rename is durable only once the directory is: until then the subsumed appends are not acknowledged.
      await syncDirectory(dirname(this.#path));
    } catch (cause) {
      this.#directoryUnsynced = true;
      const error = new JournalWriteError(
        `could not sync the directory of ${this.#path} (writes are refused until the engine restarts)`,
        { cause },
      );
      this.#failed ??= error;
      for (const entry of subsumed) entry.reject(error);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    for (const entry of subsumed) entry.resolve();
    for (const waiter of waiters) waiter.resolve();
    compaction.onCompacted?.(records);
  }

  #compactionFailedWith(
    error: JournalCompactionError,
    waiters: Array<{ reject: (error: unknown) => void }>,
  ): void {
    // Try again only after as many appends again, so a full disk does not turn every write into a rewrite.
    this.#liveRecords += this.#appended;
    this.#appended = 0;
    if (waiters.length > 0) {
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    if (this.#compactionFailed) return;
    this.#compactionFailed = true;
    this.#compaction?.onError?.(error);
  }

  /** Waits for queued records, then closes the file (once; later calls do nothing). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#handle.close();
  }
}

/**
 * Writes `text` to `<path>.tmp`, fsyncs it and renames it over `path`; returns the file's handle, open for
 * appends. Keeping the handle used for the write means there is no reopen that could fail after the rename.
 * The caller fsyncs the directory.
 */
async function writeSnapshot(path: string, text: string): Promise<FileHandle> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, SNAPSHOT_FLAGS, 0o644);
  try {
    await handle.appendFile(text);
    await handle.sync();
    await rename(temporary, path);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** One journal line: the CRC-32 of the JSON, a space, the JSON. */
export function encodeLine(record: unknown): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** Reads a journal file; a missing file is an empty journal. */
export async function readJournal<T>(path: string): Promise<JournalContents<T>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return parseJournal<T>("");
    throw error;
  }
  return parseJournal<T>(text);
}

/**
 * Parses journal text. Valid lines become records. Bad lines after the last valid one are a torn tail: the batch
 * a crash cut off (or, after a power loss, left as zeros), never acknowledged. Bad lines before a valid one are
 * damage: something other than a crash changed the file, and records there are lost unless repaired.
 */
export function parseJournal<T>(text: string): JournalContents<T> {
  const records: T[] = [];
  const bad: DamagedRange[] = [];
  let offset = 0;
  let lastGoodEnd = 0;
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline + 1;
    const line = text.slice(start, newline === -1 ? text.length : newline);
    const bytes = Buffer.byteLength(text.slice(start, end));
    const record = newline === -1 ? undefined : decodeLine<T>(line);
    if (record === undefined) bad.push({ offset, bytes });
    else {
      records.push(record);
      lastGoodEnd = offset + bytes;
    }
    offset += bytes;
    start = end;
  }
  const damaged = bad.filter((range) => range.offset < lastGoodEnd);
  const tornBytes = offset - lastGoodEnd;
  return { records, damagedLines: damaged.length, damaged, tornTail: tornBytes > 0, tornBytes };
}

function decodeLine<T>(line: string): T | undefined {
  const space = line.indexOf(" ");
  if (space !== 8) return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, "0") !== line.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
