import type { AwsClients } from "../../aws/clients.ts";
import type { ActivityEvent } from "../../engine/activity.ts";
import type { FailedEvent } from "../../pipeline/failed-events.ts";
import { failedEventCount } from "../../pipeline/failed-queue.ts";
import { fetchLogEvents, type LogEvent } from "../../pipeline/logs.ts";
import type { Stack } from "../../stack/spec.ts";
import type { EventStreamHub } from "../event-stream.ts";
import { type FailedEventsSource, onFailureQueueSource } from "../failed-events.ts";
import type { FlowModel } from "../flow.ts";
import { publishFlowUpdate } from "../routes.ts";
import { LogActivityTranslator } from "./log-activity.ts";
import { diffUploads, listUploads } from "./uploads.ts";

export interface RemoteFeedOptions {
  clients: AwsClients;
  stack: Stack;
  model: FlowModel;
  hub: EventStreamHub;
  /** Time between the end of one poll and the start of the next. */
  pollMs: number;
  /** How far back the first poll reads logs and uploads, so recent activity shows at once. */
  lookbackMs: number;
  /** Log lines kept for the logs panel. Default 300. */
  logLimit?: number;
  /** The target counts its queues exactly (an emulator), so an empty on-failure queue needs no long poll. */
  exactCounts: boolean;
  log(message: string): void;
}

/**
 * CloudWatch Logs may index an event a little after its timestamp, so every poll re-reads this much before the
 * newest event seen (events are de-duplicated by id) instead of starting right after it.
 */
const logOverlapMs = 5_000;

/**
 * Feeds a FlowModel without engine events, by polling the target's APIs: ListObjectsV2 of the upload prefix
 * for uploads (LastModified is the "uploaded" time), FilterLogEvents of the function's log group for
 * invocations and outcomes, and the on-failure queue's message count for failed events. Polls and re-drives run one at a time, so a re-drive's log lines are read only
 * after the dashboard knows the re-drive's request ID.
 */
export class RemoteFeed {
  readonly #options: RemoteFeedOptions;
  readonly #translator: LogActivityTranslator;
  readonly #seenLogs = new Map<string, number>();
  readonly #recentLogs: LogEvent[] = [];
  #knownUploads: Map<string, string> | undefined;
  #logCursor: number;
  readonly #since: number;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #polls = 0;
  #lastError: string | undefined;
  #failedCount: number | undefined;
  readonly #failedEvents: FailedEventsSource;

  constructor(options: RemoteFeedOptions) {
    this.#options = options;
    this.#translator = new LogActivityTranslator({
      functionName: options.stack.functionName,
      bucket: options.stack.bucket,
      logGroup: options.stack.logGroupName,
    });
    this.#failedEvents = onFailureQueueSource(() => options.clients, options.stack, {
      exactCounts: options.exactCounts,
    });
    this.#since = Date.now() - options.lookbackMs;
    this.#logCursor = this.#since;
  }

  /** Completed polls (tests wait for the first one). */
  get polls(): number {
    return this.#polls;
  }

  /** The last poll's error, if it failed. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts polling; the first poll runs now. */
  start(): void {
    const loop = async () => {
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#options.pollMs);
    };
    void loop();
  }

  /** Stops polling and waits for a poll or re-drive in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#lock;
  }

  /** One poll of uploads and logs; errors are logged and kept for `lastError`, never thrown. */
  poll(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#stopped) return;
      try {
        await this.#pollUploads();
        await this.#pollLogs();
        await this.#pollFailedCount();
        this.#lastError = undefined;
      } catch (error) {
        this.#lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.#options.log(`ui: poll failed: ${this.#lastError}`);
      }
      this.#polls += 1;
    });
  }

  /** The newest log lines read so far, oldest first. */
  recentLogs(): LogEvent[] {
    return [...this.#recentLogs];
  }

  /** The failed events in the on-failure queue, as the failed-events panel lists them. */
  failed(): Promise<FailedEvent[]> {
    return this.#failedEvents.failed();
  }

  /**
   * Re-drives one failed event from the on-failure queue (its id is its message ID), then links the re-drive's
   * invocation to the failed delivery in the flow, as the engine's own events do.
   */
  redrive(id: string): Promise<void> {
    return this.#exclusive(async () => {
      const { model, hub } = this.#options;
      const queuedAt = Date.now();
      try {
        const outcome = await this.#failedEvents.redrive(id);
        if (outcome.requestId) {
          this.#translator.claim(outcome.requestId);
          const functionName = this.#options.stack.functionName;
          const events: ActivityEvent[] = [
            {
              kind: "async.failed",
              functionName,
              requestId: outcome.event.requestId,
              failedEventId: id,
              attempts: outcome.event.attempts,
              error: `${outcome.event.errorType}: ${outcome.event.errorMessage}`,
            },
            { kind: "async.redrive", functionName, failedEventId: id, requestId: outcome.requestId },
          ];
          for (const event of events) {
            publishFlowUpdate(hub, model.activity(event, queuedAt), Date.now);
          }
        }
      } finally {
        hub.send("failed", { at: Date.now() });
      }
    });
  }

  /** The queue's message count changed: the page reloads its failed list. */
  async #pollFailedCount(): Promise<void> {
    const count = await failedEventCount(this.#options.clients, this.#options.stack);
    if (count !== this.#failedCount) this.#options.hub.send("failed", { at: Date.now() });
    this.#failedCount = count;
  }

  async #pollUploads(): Promise<void> {
    const { clients, stack, model, hub } = this.#options;
    const listed = await listUploads(clients, stack.bucket, stack.uploadPrefix);
    const first = this.#knownUploads === undefined;
    const { changed, known } = diffUploads(this.#knownUploads ?? new Map(), listed);
    this.#knownUploads = known;
    for (const object of changed) {
      // The first listing is a baseline: only objects from the lookback window get rows.
      if (first && object.lastModified < this.#since) continue;
      const update = model.objectCreated(
        {
          eventName: "ObjectCreated:Put",
          bucket: stack.bucket,
          key: object.key,
          size: object.size,
          eTag: object.eTag,
          // Set, so a row that the logs created first is completed instead of duplicated.
          sequencer: object.lastModified.toString(16).toUpperCase().padStart(16, "0"),
          eventTime: new Date(object.lastModified).toISOString(),
          requestId: "",
          sourceIp: "",
          principalId: "",
        },
        object.lastModified,
      );
      publishFlowUpdate(hub, update, Date.now);
    }
  }

  async #pollLogs(): Promise<void> {
    const { clients, stack, model, hub } = this.#options;
    const events = await fetchLogEvents(clients, stack.logGroupName, { startTime: this.#logCursor });
    const fresh = events.filter((event) => !this.#seenLogs.has(event.eventId));
    if (fresh.length === 0) return;
    for (const event of fresh) this.#seenLogs.set(event.eventId, event.timestamp);
    const newest = Math.max(...fresh.map((event) => event.timestamp));
    this.#logCursor = Math.max(this.#logCursor, newest - logOverlapMs);
    for (const [id, timestamp] of this.#seenLogs) {
      if (timestamp < this.#logCursor) this.#seenLogs.delete(id);
    }

    for (const activity of this.#translator.translate(fresh)) {
      publishFlowUpdate(hub, model.activity(activity.event, activity.at), Date.now);
    }
    const limit = this.#options.logLimit ?? 300;
    this.#recentLogs.push(...fresh);
    this.#recentLogs.splice(0, Math.max(0, this.#recentLogs.length - limit));
    const byStream = new Map<string, LogEvent[]>();
    for (const event of fresh) byStream.set(event.stream, [...(byStream.get(event.stream) ?? []), event]);
    for (const [stream, streamEvents] of byStream) {
      // `at` is the newest line's own time, so the page's latency figure includes the polling delay.
      const at = Math.max(...streamEvents.map((event) => event.timestamp));
      hub.send("log", { stream, events: streamEvents, at });
    }
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(task);
    this.#lock = result.catch(() => undefined);
    return result;
  }
}
