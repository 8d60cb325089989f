import type { BufferedBody } from "./service/section.ts";

/**
 * What request size limits share (each service's own figures, from AWS's quotas, are in its section,
 * `<service>/section.ts`, whose `bodyLimit` applies them per operation in its own words), and the engine-wide
 * budget of buffered request bytes. A limit is decided from the request head only, so an oversized body is
 * refused before any of it is buffered. S3 object writes are not buffered at all: the service streams them to its
 * blob store.
 */

export const MiB = 1024 * 1024;

/** IAM and STS Query requests (policy documents are at most a few KB). */
export const queryRequestBytes = 1 * MiB;
/** Engine-internal routes (the dashboard's upload). */
export const internalRequestBytes = 64 * MiB;

/** A limit of `bytes` whose refusal is `413 <code>` naming the operation, as Lambda and DynamoDB word it. */
export const tooLarge = (
  bytes: number,
  operation: string,
  code = "RequestEntityTooLargeException",
): BufferedBody => ({
  bytes,
  status: 413,
  code,
  message: `Request must be smaller than ${bytes} bytes for the ${operation} operation`,
});

/**
 * Buffered request bytes in flight across all requests, at most: the default holds a few of the largest bodies
 * any operation takes (a 70 MB CreateFunction, the dashboard's 64 MiB upload) without letting many slow ones
 * together take gigabytes. Beyond it a request gets its service's throttling error.
 */
export const DEFAULT_MAX_BUFFERED_REQUEST_BYTES = 256 * MiB;

/** One request's share of the budget; released once its answer is written. */
export interface Reservation {
  /** Bytes this request holds. */
  readonly bytes: number;
  /** Holds `more` bytes more; false (and nothing held) when the budget has not that much left. */
  reserve(more: number): boolean;
  release(): void;
}

/** What a budget and its reservations share. */
interface BudgetState {
  inFlight: number;
  readonly limitBytes: number;
}

/** A class, not an object literal with a getter: one is made for every request (V8 builds such literals slowly). */
class BudgetReservation implements Reservation {
  readonly #state: BudgetState;
  #held = 0;

  constructor(state: BudgetState) {
    this.#state = state;
  }

  get bytes(): number {
    return this.#held;
  }

  reserve(more: number): boolean {
    if (more <= 0) return true;
    const state = this.#state;
    if (state.inFlight + more > state.limitBytes) return false;
    state.inFlight += more;
    this.#held += more;
    return true;
  }

  release(): void {
    this.#state.inFlight -= this.#held;
    this.#held = 0;
  }
}

/** The engine-wide budget of buffered request bytes. */
export class RequestBudget {
  readonly #state: BudgetState;

  readonly limitBytes: number;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
    this.#state = { inFlight: 0, limitBytes };
  }

  get inFlight(): number {
    return this.#state.inFlight;
  }

  open(): Reservation {
    return new BudgetReservation(this.#state);
  }
}
