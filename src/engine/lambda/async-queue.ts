import { randomUUID } from "node:crypto";
import type { FailedEvent } from "./contract.ts";
import type { FunctionErrorPayload } from "./environment.ts";

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

/** The result of one attempt, as the queue needs it. */
export type AttemptResult = { ok: true } | { ok: false; error: FunctionErrorPayload; retryable: boolean };

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
}

/**
 * Asynchronous invocations (`InvocationType: Event`, S3 notifications): at least once, retried with backoff on
 * function errors, timeouts and crashes, then kept as {@link FailedEvent}s that can be redriven. As on AWS, all
 * attempts of one event share its request ID.
 */
export class AsyncInvocationQueue {
  readonly #run: AttemptRunner;
  readonly #policy: RetryPolicy;
  readonly #activity: (event: Record<string, unknown>) => void;
  readonly #failed: FailedEvent[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  #closed = false;

  constructor(options: {
    run: AttemptRunner;
    policy: RetryPolicy;
    activity(event: Record<string, unknown>): void;
  }) {
    this.#run = options.run;
    this.#policy = options.policy;
    this.#activity = options.activity;
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
      service: "lambda",
      type: "async.redrive",
      functionName: failed.functionName,
      failedEventId: id,
      requestId,
    });
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
        if (result.ok || this.#closed) return;
        const delay = result.retryable ? nextRetryDelay(event.attempts, this.#policy) : undefined;
        if (delay !== undefined) {
          this.#activity({
            service: "lambda",
            type: "async.retry",
            functionName: event.functionName,
            requestId: event.requestId,
            attempt: event.attempts,
            delayMs: delay,
            error: `${result.error.errorType}: ${result.error.errorMessage}`,
          });
          this.#schedule(event, delay);
          return;
        }
        this.#fail(event, result.error);
      });
  }

  #fail(event: QueuedEvent, error: FunctionErrorPayload): void {
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
      service: "lambda",
      type: "async.failed",
      functionName: event.functionName,
      requestId: event.requestId,
      failedEventId: event.id,
      attempts: event.attempts,
      error: `${error.errorType}: ${error.errorMessage}`,
    });
  }

  /** Drops queued retries; attempts already running finish but are not retried. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
