import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { writeJsonLinesAtomic } from "../atomic-file.ts";
import { Queue, type QueueRecord, type StoredMessage } from "./queue.ts";

/**
 * Append-only persistence of SQS (`<dataDir>/sqs.jsonl`): one JSON line per change, written with a synchronous
 * `write` before the request is answered, so a message the engine acknowledged survives the engine being killed
 * (SIGKILL included; an operating-system crash may lose what the kernel had not flushed). Replayed on start and
 * compacted to the live state then and whenever it has grown well past it.
 */

export type SqsJournalEntry =
  | { t: "queue"; record: QueueRecord }
  | { t: "deleteQueue"; name: string }
  | { t: "send"; queue: string; message: StoredMessage }
  | {
      t: "update";
      queue: string;
      id: string;
      visibleAt: number;
      receiveCount: number;
      firstReceiveTimestamp?: number;
      receipt?: string;
    }
  | { t: "delete"; queue: string; id: string }
  | { t: "purge"; queue: string };

export class SqsJournal {
  readonly #path: string;
  #fd: number | undefined;
  #linesSinceCompaction = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** The entries on disk, oldest first; a torn last line (a kill mid-write) is skipped. */
  read(): SqsJournalEntry[] {
    if (!existsSync(this.#path)) return [];
    const entries: SqsJournalEntry[] = [];
    for (const line of readFileSync(this.#path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        entries.push(JSON.parse(line) as SqsJournalEntry);
      } catch {
        // A partial line from a kill mid-write: what follows it was never acknowledged either.
      }
    }
    return entries;
  }

  record(entry: SqsJournalEntry): void {
    this.#fd ??= openSync(this.#path, "a");
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
    this.#linesSinceCompaction++;
  }

  /** Whether the file holds much more than `liveEntries` would (worth rewriting). */
  shouldCompact(liveEntries: number): boolean {
    return this.#linesSinceCompaction > 10_000 + 2 * liveEntries;
  }

  /** Replaces the file with `entries` (the live state) atomically. */
  compact(entries: Iterable<SqsJournalEntry>): void {
    this.close();
    writeJsonLinesAtomic(this.#path, entries);
    this.#linesSinceCompaction = 0;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** The queues and messages a journal's entries leave, applied in order; entries that no longer apply are skipped. */
export function replayJournal(entries: Iterable<SqsJournalEntry>): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  for (const entry of entries) {
    switch (entry.t) {
      case "queue": {
        const existing = queues.get(entry.record.name);
        if (existing) existing.record = entry.record;
        else queues.set(entry.record.name, new Queue(entry.record));
        break;
      }
      case "deleteQueue":
        queues.delete(entry.name);
        break;
      case "send": {
        const queue = queues.get(entry.queue);
        if (queue && !queue.messages.has(entry.message.messageId))
          queue.messages.set(entry.message.messageId, entry.message);
        break;
      }
      case "update": {
        const message = queues.get(entry.queue)?.messages.get(entry.id);
        if (!message) break;
        message.visibleAt = entry.visibleAt;
        message.receiveCount = entry.receiveCount;
        if (entry.firstReceiveTimestamp !== undefined)
          message.firstReceiveTimestamp = entry.firstReceiveTimestamp;
        if (entry.receipt !== undefined) message.receipt = entry.receipt;
        break;
      }
      case "delete":
        queues.get(entry.queue)?.messages.delete(entry.id);
        break;
      case "purge":
        queues.get(entry.queue)?.messages.clear();
        break;
    }
  }
  return queues;
}
