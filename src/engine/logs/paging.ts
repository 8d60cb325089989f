import { constraint, validationMessage } from "../validation-message.ts";
import { InvalidParameterError } from "./errors.ts";

/**
 * Paging of log events. Every stored event has a key that orders it by (timestamp, ingestion sequence);
 * tokens carry a key, so they stay valid while events arrive, out of order or not, and old ones are dropped.
 * GetLogEvents tokens are `f/<key>` (events at or after key) and `b/<key>` (events before key); a page with no
 * events hands back the token it was given, which is how SDK paginators and `aws logs tail` know to stop.
 */

const sequenceBits = 40n;

/** The fields paging needs. */
export interface KeyedEvent {
  timestamp: number;
  key: bigint;
}

/** The ordering key of an event: timestamp first, then the engine-wide ingestion sequence. */
export function eventKey(timestamp: number, sequence: number): bigint {
  return (BigInt(Math.max(0, Math.trunc(timestamp))) << sequenceBits) + BigInt(sequence);
}

/** Key of the first possible event at `timestamp`. */
export function timeKey(timestamp: number): bigint {
  return eventKey(timestamp, 0);
}

/** Index of the first event whose key is >= `key` in a key-sorted list. */
export function lowerBound(events: readonly KeyedEvent[], key: bigint): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((events[middle] as KeyedEvent).key < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface GetLogEventsPaging {
  startTime?: number;
  /** Exclusive, as on AWS. */
  endTime?: number;
  limit?: number;
  startFromHead?: boolean;
  nextToken?: string;
}

export interface LogEventsPage<T> {
  events: T[];
  nextForwardToken: string;
  nextBackwardToken: string;
}

/**
 * One GetLogEvents page from a key-sorted list: without a token, the newest `limit` events (or the oldest with
 * `startFromHead`), always returned oldest first.
 *
 * @throws InvalidParameterError for a token this engine did not issue.
 */
export function pageLogEvents<T extends KeyedEvent>(
  events: readonly T[],
  options: GetLogEventsPaging,
): LogEventsPage<T> {
  const limit = clampLimit(options.limit);
  const windowLow = options.startTime === undefined ? 0n : timeKey(options.startTime);
  const windowHigh = options.endTime === undefined ? undefined : timeKey(options.endTime);
  const windowStart = lowerBound(events, windowLow);
  const windowEnd =
    windowHigh === undefined ? events.length : Math.max(windowStart, lowerBound(events, windowHigh));
  const token = options.nextToken === undefined ? undefined : parseGetToken(options.nextToken);

  const forward = token ? token.direction === "f" : options.startFromHead === true;
  if (forward) {
    const from = token ? Math.max(windowStart, lowerBound(events, token.key)) : windowStart;
    const page = events.slice(from, Math.min(windowEnd, from + limit));
    const first = page[0];
    const last = page[page.length - 1];
    if (!first || !last) {
      const key = token ? token.key : windowLow;
      return { events: [], nextForwardToken: options.nextToken ?? `f/${key}`, nextBackwardToken: `b/${key}` };
    }
    return { events: page, nextForwardToken: `f/${last.key + 1n}`, nextBackwardToken: `b/${first.key}` };
  }
  const to = token ? Math.min(windowEnd, lowerBound(events, token.key)) : windowEnd;
  const from = Math.max(windowStart, to - limit);
  const page = to > from ? events.slice(from, to) : [];
  const first = page[0];
  const last = page[page.length - 1];
  if (!first || !last) {
    const key = token ? token.key : windowLow;
    return { events: [], nextForwardToken: `f/${key}`, nextBackwardToken: options.nextToken ?? `b/${key}` };
  }
  return { events: page, nextForwardToken: `f/${last.key + 1n}`, nextBackwardToken: `b/${first.key}` };
}

function parseGetToken(token: string): { direction: "f" | "b"; key: bigint } {
  const match = /^([fb])\/(\d{1,40})$/.exec(token);
  if (!match) throw new InvalidParameterError("The specified nextToken is invalid.");
  return { direction: match[1] as "f" | "b", key: BigInt(match[2] as string) };
}

/** FilterLogEvents tokens: the key of the next event to consider. */
export function encodeFilterToken(key: bigint): string {
  return Buffer.from(`k/${key}`).toString("base64url");
}

/** @throws InvalidParameterError for a token this engine did not issue. */
export function decodeFilterToken(token: string): bigint {
  const match = /^k\/(\d{1,40})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw new InvalidParameterError("The specified nextToken is invalid.");
  return BigInt(match[1] as string);
}

/** AWS caps both GetLogEvents and FilterLogEvents at 10,000 events per page. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 10_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidParameterError(validationMessage("limit", limit, constraint.between(1, 10000)));
  }
  return limit;
}
