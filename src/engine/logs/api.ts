import type { EngineEventBus } from "../context.ts";
import type { AnyOperation, OperationCall } from "../service/index.ts";
import { LogsArns } from "./arns.ts";
import { eventOperations } from "./event-operations.ts";
import { groupOperations } from "./group-operations.ts";
import type { LogJournal } from "./journal.ts";
import type { LogStore, NewLogEvent } from "./store.ts";
import { streamOperations } from "./stream-operations.ts";
import { tagOperations } from "./tag-operations.ts";

/**
 * The CloudWatch Logs API: its operations, declared in the one form (`operation()`: name, the resource ARN IAM
 * checks `logs:<name>` on, the zod input listing the members it handles, handler), by resource in
 * group-, stream-, event- and tag-operations.ts; and the write path the `LogWriter` (contract.ts) shares.
 */

/** Everything the operations need besides their input. */
export interface LogsApiDependencies {
  store: LogStore;
  accountId: string;
  events: EngineEventBus;
  journal?: LogJournal;
  now?: () => number;
  /** Apply FilterLogEvents' filter patterns (default true); LocalStack community matches every event instead. */
  filterPatterns?: boolean;
}

/** What each resource's operations are built over. */
export interface LogsOperationContext {
  store: LogStore;
  journal: LogJournal | undefined;
  now(): number;
  filterPatterns: boolean;
  /** ARNs in the request's region. */
  arns(call: OperationCall): LogsArns;
  /** Appends events (creating the stream when asked), journals them and tells observers. */
  append(group: string, stream: string, events: readonly NewLogEvent[], createStream: boolean): void;
  createGroup(name: string, tags?: Record<string, string>): void;
}

export class LogsApi {
  readonly #store: LogStore;
  readonly #events: EngineEventBus;
  readonly #journal: LogJournal | undefined;
  readonly #now: () => number;
  /** The operations, as the service declares them. */
  readonly operations: readonly AnyOperation[];

  constructor(dependencies: LogsApiDependencies) {
    this.#store = dependencies.store;
    this.#events = dependencies.events;
    this.#journal = dependencies.journal;
    this.#now = dependencies.now ?? Date.now;
    const context: LogsOperationContext = {
      store: this.#store,
      journal: this.#journal,
      now: this.#now,
      filterPatterns: dependencies.filterPatterns ?? true,
      arns: (call) => new LogsArns(call.request.region, dependencies.accountId),
      append: (group, stream, events, createStream) => this.append(group, stream, events, createStream),
      createGroup: (name, tags) => this.createGroup(name, tags),
    };
    this.operations = [
      ...groupOperations(context),
      ...streamOperations(context),
      ...eventOperations(context),
      ...tagOperations(context),
    ];
  }

  /** Appends events (creating the stream), journals them and tells observers; the shared write path. */
  append(group: string, stream: string, events: readonly NewLogEvent[], createStream: boolean): void {
    const ingestionTime = this.#now();
    const hadStream = this.#store.getGroup(group).streams.has(stream);
    const stored = this.#store.append(group, stream, events, { createStream, ingestionTime });
    if (!hadStream) this.#journal?.record({ t: "stream", group, name: stream, created: ingestionTime });
    if (stored.length === 0) return;
    this.#journal?.record({
      t: "events",
      group,
      stream,
      ingested: ingestionTime,
      events: stored.map((event) => [event.timestamp, event.message]),
    });
    this.#events.activity({
      kind: "log",
      group,
      stream,
      events: stored.map((event) => ({ timestamp: event.timestamp, message: event.message })),
    });
  }

  createGroup(name: string, tags: Record<string, string> = {}): void {
    const group = this.#store.createGroup(name, tags, this.#now());
    this.#journal?.record({ t: "group", name, created: group.creationTime, tags });
  }
}
