import type { DurableStore } from "../store/index.ts";
import type { Journal } from "../store/journal.ts";
import type { LogStore } from "./store.ts";

/**
 * The records of CloudWatch Logs state in the persistence layer (`<dataDir>/logs/journal.log`, see
 * src/engine/store/): one per change, replayed on start; the journal compacts itself to the current state.
 */

export type LogJournalEntry =
  | { t: "group"; name: string; created: number; tags?: Record<string, string> }
  | { t: "deleteGroup"; name: string }
  | { t: "retention"; name: string; days?: number }
  | { t: "tags"; name: string; tags: Record<string, string> }
  | { t: "stream"; group: string; name: string; created: number }
  | { t: "deleteStream"; group: string; name: string }
  | { t: "events"; group: string; stream: string; ingested: number; events: Array<[number, string]> };

/** Writes Logs changes to the persistence layer's Logs journal, and restores the store from it. */
export class LogJournal {
  readonly #journal: Journal<LogJournalEntry>;

  private constructor(journal: Journal<LogJournalEntry>) {
    this.#journal = journal;
  }

  /** Restores `store` from the durable store's Logs journal and keeps it there from now on. */
  static async open(durable: DurableStore, store: LogStore): Promise<LogJournal> {
    const journal = await durable.open<LogJournalEntry>(
      "logs",
      (records) => {
        for (const entry of records) {
          try {
            apply(store, entry);
          } catch {
            // An entry that no longer applies (e.g. events for a group deleted later) is skipped.
          }
        }
        return [...snapshot(store)];
      },
      { live: () => [...snapshot(store)] },
    );
    return new LogJournal(journal);
  }

  /** Appends a change; the dispatcher answers once it is durable (a failed write answers an error then). */
  record(entry: LogJournalEntry): void {
    this.#journal.append(entry).catch(() => undefined);
  }
}

function apply(store: LogStore, entry: LogJournalEntry): void {
  switch (entry.t) {
    case "group":
      store.createGroup(entry.name, entry.tags ?? {}, entry.created);
      return;
    case "deleteGroup":
      store.deleteGroup(entry.name);
      return;
    case "retention":
      store.setRetention(entry.name, entry.days);
      return;
    case "tags":
      store.getGroup(entry.name).tags = entry.tags;
      return;
    case "stream":
      store.createStream(entry.group, entry.name, entry.created);
      return;
    case "deleteStream":
      store.deleteStream(entry.group, entry.name);
      return;
    case "events":
      store.append(
        entry.group,
        entry.stream,
        entry.events.map(([timestamp, message]) => ({ timestamp, message })),
        { createStream: true, ingestionTime: entry.ingested },
      );
      return;
  }
}

function* snapshot(store: LogStore): Generator<LogJournalEntry> {
  for (const group of store.listGroups()) {
    yield { t: "group", name: group.name, created: group.creationTime, tags: group.tags };
    if (group.retentionInDays !== undefined)
      yield { t: "retention", name: group.name, days: group.retentionInDays };
    for (const stream of group.streams.values()) {
      yield { t: "stream", group: group.name, name: stream.name, created: stream.creationTime };
      // Events are grouped by ingestion time so each keeps the ingestionTime it had.
      let batch: { ingested: number; events: Array<[number, string]> } | undefined;
      for (const event of stream.events) {
        if (batch && batch.ingested !== event.ingestionTime) {
          yield { t: "events", group: group.name, stream: stream.name, ...batch };
          batch = undefined;
        }
        batch ??= { ingested: event.ingestionTime, events: [] };
        batch.events.push([event.timestamp, event.message]);
      }
      if (batch) yield { t: "events", group: group.name, stream: stream.name, ...batch };
    }
  }
}
