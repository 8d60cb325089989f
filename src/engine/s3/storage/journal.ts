import type { FileHandle } from "node:fs/promises";
import { open, readFile, rename } from "node:fs/promises";
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

/** What reading a journal found: the valid records, and lines that were skipped as damaged. */
export interface JournalContents<T> {
  records: T[];
  /** Damaged lines before the end (not a torn tail); their records are lost. */
  damagedLines: number;
  /** Whether the last record was torn (cut off by a crash mid-write) and was dropped. */
  tornTail: boolean;
}

/**
 * An append-only journal of JSON records, one per line, each prefixed with the CRC-32 of its JSON so a
 * record cut off by a crash (SIGKILL mid-write) is recognised and dropped on the next start. Appends are
 * group-committed: records queued while a flush is in flight are written and fsynced together, and each
 * append resolves only once its record is durable.
 */
export class Journal<T> {
  readonly #path: string;
  #handle: FileHandle;
  #queue: Array<{ line: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  #flushing: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle) {
    this.#path = path;
    this.#handle = handle;
  }

  /**
   * Opens a journal, first rewriting it to `snapshot(records)` (compaction), so the file on disk holds only
   * records that matter and any torn tail is gone.
   */
  static async open<T>(
    path: string,
    snapshot: (records: T[]) => T[],
  ): Promise<{ journal: Journal<T>; contents: JournalContents<T> }> {
    const contents = await readJournal<T>(path);
    const compacted = snapshot(contents.records);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(compacted.map(encodeLine).join(""));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await syncDirectory(dirname(path));
    return { journal: new Journal<T>(path, await open(path, "a")), contents };
  }

  /** Appends a record; resolves when it is on disk. */
  append(record: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: encodeLine(record), resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        try {
          await this.#handle.appendFile(batch.map((entry) => entry.line).join(""));
          await this.#handle.datasync();
          for (const entry of batch) entry.resolve();
        } catch (cause) {
          const error = new JournalWriteError(`could not write ${this.#path}`, { cause });
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#handle.close();
  }
}

function encodeLine(record: unknown): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** Reads a journal file; a missing file is an empty journal. */
export async function readJournal<T>(path: string): Promise<JournalContents<T>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { records: [], damagedLines: 0, tornTail: false };
    throw error;
  }
  return parseJournal<T>(text);
}

/** Parses journal text: valid lines become records; a bad final line is a torn tail, others are damage. */
export function parseJournal<T>(text: string): JournalContents<T> {
  const lines = text.split("\n");
  // A complete journal ends with "\n", so the last element is "" unless the final write was cut short.
  const unterminated = lines.pop() ?? "";
  const records: T[] = [];
  let damagedLines = 0;
  let lastBad = false;
  for (const line of lines) {
    const record = decodeLine<T>(line);
    if (record === undefined) {
      damagedLines++;
      lastBad = true;
    } else {
      records.push(record);
      lastBad = false;
    }
  }
  let tornTail = unterminated !== "";
  if (lastBad && !tornTail) {
    damagedLines--;
    tornTail = true;
  }
  return { records, damagedLines, tornTail };
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
