import { Queue, type QueueRecord, type SentAnswer, type StoredMessage } from "./queue.ts";

/**
 * The records of SQS state in the persistence layer (`<dataDir>/sqs/journal.log`, see src/engine/store/): one
 * per change (queues with their attributes, policy and FIFO deduplication, messages and their receive state),
 * replayed in order on start.
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
  /** A FIFO send's deduplication key and the answer a repeat gets until `expiresAt` (epoch ms). */
  | { t: "dedup"; queue: string; key: string; answer: SentAnswer; expiresAt: number }
  | { t: "purge"; queue: string };

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
      case "dedup":
        queues
          .get(entry.queue)
          ?.deduplication.set(entry.key, { answer: entry.answer, expiresAt: entry.expiresAt });
        break;
      case "purge":
        queues.get(entry.queue)?.messages.clear();
        break;
    }
  }
  return queues;
}
