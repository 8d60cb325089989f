import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { writeJsonLinesAtomic } from "../atomic-file.ts";
import type { LogStore } from "./store.ts";

/**
 * Append-only persistence of CloudWatch Logs state (`<dataDir>/logs.jsonl`): one JSON line per change,
 * replayed on start and then compacted to the current state, so the file stays about as large as memory.
 */

type JournalEntry =
  | { t: "group"; name: string; created: number; tags?: Record<string, string> }
  | { t: "deleteGroup"; name: string }
  | { t: "retention"; name: string; days?: number }
  | { t: "tags"; name: string; tags: Record<string, string> }
  | { t: "stream"; group: string; name: string; created: number }
  | { t: "deleteStream"; group: string; name: string }
  | { t: "events"; group: string; stream: string; ingested: number; events: Array<[number, string]> };

export class LogJournal {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  record(entry: JournalEntry): void {
    appendFileSync(this.#path, `${JSON.stringify(entry)}\n`);
  }

  /** Rebuilds the store from the journal, skipping a torn last line, then compacts the file. */
  restore(store: LogStore): void {
    if (!existsSync(this.#path)) return;
    for (const line of readFileSync(this.#path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue;
      }
      try {
        apply(store, entry);
      } catch {
        // An entry that no longer applies (e.g. events for a group deleted later) is skipped.
      }
    }
    writeJsonLinesAtomic(this.#path, snapshot(store));
  }
}

function apply(store: LogStore, entry: JournalEntry): void {
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

function* snapshot(store: LogStore): Generator<JournalEntry> {
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
