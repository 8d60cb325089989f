import { randomUUID } from "node:crypto";
import type { ActivityEvent } from "../activity.ts";
import type { FailedEvent } from "./contract.ts";
import type { FunctionErrorPayload } from "./environment.ts";
import type { AttemptResponse, InvocationCondition } from "./invocation-record.ts";

/** Retry settings of asynchronous invocations. */
export interface RetryPolicy {
  /** Retries after the first attempt (AWS: 2). */
  maxRetries: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  baseDelayMs: number;
}

/**
 * Delay before the next attempt, after `failedAttempts` attempts failed, or undefined when the event is out of
 * retries. AWS waits about 1 minute, then 2; locally the base is short and the doubling is kept.
 *
 * @example nextRetryDelay(1, { maxRetries: 2, baseDelayMs: 200 }) === 200
 */
export function nextRetryDelay(failedAttempts: number, policy: RetryPolicy): number | undefined {
  if (failedAttempts < 1 || failedAttempts > policy.maxRetries) return undefined;
  return policy.baseDelayMs * 2 ** (failedAttempts - 1);
}

/** How long an event may wait for its attempts when its function sets no `MaximumEventAgeInSeconds` (6 hours). */
const DEFAULT_MAX_EVENT_AGE_MS = 6 * 60 * 60 * 1000;

/** A function's own asynchronous settings (its event-invoke configuration); absent ones take the queue's. */
export interface FunctionQueueSettings {
  maxRetries?: number;
  maxEventAgeMs?: number;
}

/**
 * The result of one attempt, as the queue needs it: the function's response on success; on failure the error,
 * whether a retry may help, and the HTTP status when the Lambda service (not the function) failed.
 */
export type AttemptResult =
  | { ok: true; payload?: string }
  | { ok: false; error: FunctionErrorPayload; retryable: boolean; statusCode?: number };

/** What became of one event: done after an attempt succeeded, or given up. */
export interface AsyncOutcome {
  condition: InvocationCondition;
  functionName: string;
  requestId: string;
  /** The event as queued. */
  payload: string;
  attempts: number;
  /** The last attempt's response; undefined when the event expired before its first attempt. */
  response?: AttemptResponse;
}

/** Runs one attempt of an asynchronous invocation with the given request ID. */
export type AttemptRunner = (
  functionName: string,
  payload: string,
  requestId: string,
) => Promise<AttemptResult>;

interface QueuedEvent {
  id: string;
  functionName: string;
  payload: string;
  requestId: string;
  attempts: number;
  firstAttemptAt: string;
  /** `Date.now()` when queued: the event's age counts from here. */
  queuedAt: number;
  last?: AttemptResponse;
}

/**
 * Asynchronous invocations (`InvocationType: Event`, S3 notifications): at least once, retried with backoff on
 * function errors, timeouts and crashes up to the function's `MaximumRetryAttempts` and while the event is
 * younger than its `MaximumEventAgeInSeconds`, then kept as {@link FailedEvent}s that can be redriven, until
 * {@link AsyncInvocationQueue.handedOff} says a destination or dead-letter queue holds one. Every outcome goes to
 * `onOutcome` (destinations and dead-letter queues). As on AWS, all attempts of one event share
 * its request ID.
 */
export class AsyncInvocationQueue {
  readonly #run: AttemptRunner;
  readonly #policy: RetryPolicy;
  readonly #settings: (functionName: string) => FunctionQueueSettings | undefined;
  readonly #onOutcome: (outcome: AsyncOutcome) => void;
  readonly #activity: (event: ActivityEvent) => void;
  readonly #failed: FailedEvent[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  #closed = false;

  constructor(options: {
    run: AttemptRunner;
    /** The engine's defaults (`maxRetries` 2 unless configured). */
    policy: RetryPolicy;
    activity(event: ActivityEvent): void;
    /** A function's own settings, read at each decision so a changed configuration applies to queued events. */
    settings?(functionName: string): FunctionQueueSettings | undefined;
    onOutcome?(outcome: AsyncOutcome): void;
  }) {
    this.#run = options.run;
    this.#policy = options.policy;
    this.#activity = options.activity;
    this.#settings = options.settings ?? (() => undefined);
    this.#onOutcome = options.onOutcome ?? (() => undefined);
  }

  /** Queues an event; returns the request ID the invocation will carry. */
  enqueue(
    functionName: string,
    payload: string,
    options: { delayMs?: number; requestId?: string } = {},
  ): string {
    const event: QueuedEvent = {
      id: randomUUID(),
      functionName,
      payload,
      requestId: options.requestId ?? randomUUID(),
      attempts: 0,
      firstAttemptAt: new Date().toISOString(),
      queuedAt: Date.now(),
    };
    this.#schedule(event, options.delayMs ?? 0);
    return event.requestId;
  }

  /** Events that exhausted their retries, oldest first. */
  listFailed(): FailedEvent[] {
    return this.#failed.map((event) => ({ ...event, requestIds: [...event.requestIds] }));
  }

  /** Moves a failed event back into the queue with a fresh set of attempts; false if the id is unknown. */
  redrive(id: string): boolean {
    const index = this.#failed.findIndex((event) => event.id === id);
    const failed = this.#failed[index];
    if (!failed) return false;
    this.#failed.splice(index, 1);
    const payload = typeof failed.payload === "string" ? failed.payload : JSON.stringify(failed.payload);
    const requestId = this.enqueue(failed.functionName, payload);
    this.#activity({
      kind: "async.redrive",
      functionName: failed.functionName,
      failedEventId: id,
      requestId,
    });
    return true;
  }

  /**
   * The failed event with this request ID was delivered to the function's on-failure destination or dead-letter
   * queue: that queue is now its one copy (`pipeline failed` reads it), so the engine's list drops it. False if
   * the list has no such event.
   */
  handedOff(requestId: string): boolean {
    const index = this.#failed.findIndex((event) => event.requestIds.includes(requestId));
    if (index < 0) return false;
    this.#failed.splice(index, 1);
    return true;
  }

  /** Attempts running or waiting for their turn (tests poll this to know the queue is idle). */
  get pending(): number {
    return this.#inFlight + this.#timers.size;
  }

  #schedule(event: QueuedEvent, delayMs: number): void {
    if (this.#closed) return;
    if (delayMs <= 0) {
      this.#attempt(event);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#attempt(event);
    }, delayMs);
    this.#timers.add(timer);
  }

  #attempt(event: QueuedEvent): void {
    if (this.#closed) return;
    const settings = this.#settings(event.functionName);
    if (Date.now() - event.queuedAt > (settings?.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS)) {
      const last = event.last && !event.last.ok ? event.last.error : undefined;
      this.#fail(
        event,
        last ?? { errorType: "EventAgeExceeded", errorMessage: "The event expired before it was processed" },
        "EventAgeExceeded",
      );
      return;
    }
    event.attempts += 1;
    this.#inFlight += 1;
    this.#run(event.functionName, event.payload, event.requestId)
      .catch(
        (error: unknown): AttemptResult => ({
          ok: false,
          retryable: false,
          error: { errorType: error instanceof Error ? error.name : "Error", errorMessage: String(error) },
        }),
      )
      .then((result) => {
        this.#inFlight -= 1;
        event.last = result.ok
          ? { ok: true, payload: result.payload ?? "" }
          : {
              ok: false,
              error: result.error,
              ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
            };
        if (this.#closed) return;
        if (result.ok) {
          this.#outcome(event, "Success");
          return;
        }
        const maxRetries = this.#settings(event.functionName)?.maxRetries ?? this.#policy.maxRetries;
        const delay = result.retryable
          ? nextRetryDelay(event.attempts, { ...this.#policy, maxRetries })
          : undefined;
        if (delay !== undefined) {
          this.#activity({
            kind: "async.retry",
            functionName: event.functionName,
            requestId: event.requestId,
            attempt: event.attempts,
            delayMs: delay,
            error: `${result.error.errorType}: ${result.error.errorMessage}`,
          });
          this.#schedule(event, delay);
          return;
        }
        this.#fail(event, result.error, "RetriesExhausted");
      });
  }

  #outcome(event: QueuedEvent, condition: InvocationCondition): void {
    this.#onOutcome({
      condition,
      functionName: event.functionName,
      requestId: event.requestId,
      payload: event.payload,
      attempts: event.attempts,
      ...(event.last ? { response: event.last } : {}),
    });
  }

  #fail(event: QueuedEvent, error: FunctionErrorPayload, condition: InvocationCondition): void {
    let payload: unknown = event.payload;
    try {
      payload = JSON.parse(event.payload);
    } catch {
      // Not JSON: keep the raw text.
    }
    const failed: FailedEvent = {
      id: event.id,
      functionName: event.functionName,
      payload,
      attempts: event.attempts,
      errorType: error.errorType,
      errorMessage: error.errorMessage,
      requestIds: [event.requestId],
      firstAttemptAt: event.firstAttemptAt,
      failedAt: new Date().toISOString(),
    };
    this.#failed.push(failed);
    this.#activity({
      kind: "async.failed",
      functionName: event.functionName,
      requestId: event.requestId,
      failedEventId: event.id,
      attempts: event.attempts,
      condition,
      error: `${error.errorType}: ${error.errorMessage}`,
    });
    this.#outcome(event, condition);
  }

  /** Drops queued retries; attempts already running finish but are not retried. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
