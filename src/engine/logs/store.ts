import { constraint, validationMessage } from "../validation-message.ts";
import { InvalidParameterError, ResourceAlreadyExistsError, ResourceNotFoundError } from "./errors.ts";
import type { LogFilter } from "./filter-pattern.ts";
import { eventKey, lowerBound, timeKey } from "./paging.ts";

/** CloudWatch Logs state in memory: groups, their streams, and each stream's events sorted by (timestamp, ingestion). */

export interface StoredLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  /** Ordering key and event id (see paging.ts). */
  key: bigint;
}

export interface LogStreamState {
  name: string;
  creationTime: number;
  events: StoredLogEvent[];
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
  sequence: number;
}

export interface LogGroupState {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Map<string, LogStreamState>;
  eventCount: number;
  storedBytes: number;
}

export interface NewLogEvent {
  timestamp: number;
  message: string;
}

/** Events of one stream, as FilterLogEvents returns them. */
export interface FilteredLogEvent extends StoredLogEvent {
  logStreamName: string;
}

export interface LogStoreOptions {
  /** Oldest events of a group are dropped beyond this many (default 100,000). */
  maxEventsPerGroup?: number;
  /**
   * The oldest events of all groups are dropped once the store holds more than this many bytes (AWS's measure:
   * each message's UTF-8 plus 26 bytes; default {@link DEFAULT_MAX_STORED_BYTES}), so memory has a bound however
   * much is written; events are dropped, writes never refused.
   */
  maxStoredBytes?: number;
  now?: () => number;
}

const groupNamePattern = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** AWS counts each event as its UTF-8 message plus 26 bytes. */
const eventOverheadBytes = 26;

/** All groups' events together, in AWS's byte measure: 64 MiB (812 MB of PutLogEvents once raised RSS to 1 GB). */
const DEFAULT_MAX_STORED_BYTES = 64 * 1024 * 1024;

/** The store behind the Logs API and its `LogWriter`. */
export class LogStore {
  readonly #groups = new Map<string, LogGroupState>();
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #sequence = 0;
  /** Bytes of all groups' events (AWS's measure). */
  #storedBytes = 0;

  constructor(options: LogStoreOptions = {}) {
    this.#maxEvents = options.maxEventsPerGroup ?? 100_000;
    this.#maxBytes = options.maxStoredBytes ?? DEFAULT_MAX_STORED_BYTES;
    this.#now = options.now ?? Date.now;
  }

  createGroup(name: string, tags: Record<string, string> = {}, creationTime = this.#now()): LogGroupState {
    if (!groupNamePattern.test(name)) {
      throw new InvalidParameterError(
        validationMessage("logGroupName", name, constraint.pattern("[\\.\\-_/#A-Za-z0-9]+")),
      );
    }
    if (this.#groups.has(name))
      throw new ResourceAlreadyExistsError("The specified log group already exists");
    const group: LogGroupState = {
      name,
      creationTime,
      tags,
      streams: new Map(),
      eventCount: 0,
      storedBytes: 0,
    };
    this.#groups.set(name, group);
    return group;
  }

  hasGroup(name: string): boolean {
    return this.#groups.has(name);
  }

  getGroup(name: string): LogGroupState {
    const group = this.#groups.get(name);
    if (!group) throw new ResourceNotFoundError("The specified log group does not exist.");
    return group;
  }

  deleteGroup(name: string): void {
    this.#storedBytes -= this.getGroup(name).storedBytes;
    this.#groups.delete(name);
  }

  /** Groups sorted by name. */
  listGroups(): LogGroupState[] {
    return [...this.#groups.values()].sort((a, b) => compare(a.name, b.name));
  }

  setRetention(name: string, retentionInDays: number | undefined): void {
    const group = this.getGroup(name);
    if (retentionInDays === undefined) delete group.retentionInDays;
    else group.retentionInDays = retentionInDays;
  }

  createStream(groupName: string, streamName: string, creationTime = this.#now()): LogStreamState {
    const group = this.getGroup(groupName);
    validateStreamName(streamName);
    if (group.streams.has(streamName))
      throw new ResourceAlreadyExistsError("The specified log stream already exists");
    const stream: LogStreamState = {
      name: streamName,
      creationTime,
      events: [],
      storedBytes: 0,
      sequence: 0,
    };
    group.streams.set(streamName, stream);
    return stream;
  }

  getStream(groupName: string, streamName: string): LogStreamState {
    const stream = this.getGroup(groupName).streams.get(streamName);
    if (!stream) throw new ResourceNotFoundError("The specified log stream does not exist.");
    return stream;
  }

  deleteStream(groupName: string, streamName: string): void {
    const group = this.getGroup(groupName);
    const stream = this.getStream(groupName, streamName);
    group.eventCount -= stream.events.length;
    group.storedBytes -= stream.storedBytes;
    this.#storedBytes -= stream.storedBytes;
    group.streams.delete(streamName);
  }

  /**
   * Stores events in timestamp order (a batch may come in any order) and returns them as stored.
   * With `createStream`, a missing stream is created first (the Lambda runtime's path).
   */
  append(
    groupName: string,
    streamName: string,
    events: readonly NewLogEvent[],
    options: { createStream?: boolean; ingestionTime?: number } = {},
  ): StoredLogEvent[] {
    const group = this.getGroup(groupName);
    let stream = group.streams.get(streamName);
    if (!stream) {
      if (!options.createStream) throw new ResourceNotFoundError("The specified log stream does not exist.");
      stream = this.createStream(groupName, streamName);
    }
    const ingestionTime = options.ingestionTime ?? this.#now();
    const stored = [...events]
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((event) => ({
        timestamp: event.timestamp,
        message: event.message,
        ingestionTime,
        key: eventKey(event.timestamp, ++this.#sequence),
      }));
    for (const event of stored) {
      const last = stream.events[stream.events.length - 1];
      // The common case is an append; late events are inserted at their place.
      if (!last || last.key < event.key) stream.events.push(event);
      else stream.events.splice(lowerBound(stream.events, event.key), 0, event);
      const bytes = Buffer.byteLength(event.message) + eventOverheadBytes;
      stream.storedBytes += bytes;
      group.storedBytes += bytes;
      this.#storedBytes += bytes;
    }
    group.eventCount += stored.length;
    if (stored.length > 0) {
      stream.firstEventTimestamp = stream.events[0]?.timestamp;
      stream.lastEventTimestamp = stream.events[stream.events.length - 1]?.timestamp;
      stream.lastIngestionTime = ingestionTime;
      stream.sequence++;
    }
    if (group.eventCount > this.#maxEvents) this.#trim(group);
    if (this.#storedBytes > this.#maxBytes) this.#trimBytes();
    return stored;
  }

  /** Bytes of all groups' events, in AWS's measure (UTF-8 message plus 26 bytes each). */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  /**
   * Drops the oldest events of all groups down to 90% of the byte bound: repeatedly the stream whose first event is
   * oldest loses the run of events older than every other stream's first.
   */
  #trimBytes(): void {
    const target = Math.floor(this.#maxBytes * 0.9);
    const streams: Array<{ group: LogGroupState; stream: LogStreamState }> = [];
    for (const group of this.#groups.values())
      for (const stream of group.streams.values())
        if (stream.events.length > 0) streams.push({ group, stream });
    while (this.#storedBytes > target) {
      let oldest: (typeof streams)[number] | undefined;
      let runnerUp: bigint | undefined;
      for (const entry of streams) {
        const head = entry.stream.events[0]?.key;
        if (head === undefined) continue;
        const oldestHead = oldest?.stream.events[0]?.key;
        if (oldestHead === undefined || head < oldestHead) {
          runnerUp = oldestHead;
          oldest = entry;
        } else if (runnerUp === undefined || head < runnerUp) runnerUp = head;
      }
      if (!oldest) break;
      const { group, stream } = oldest;
      let count = 0;
      let bytes = 0;
      for (const event of stream.events) {
        if (
          this.#storedBytes - bytes <= target ||
          (count > 0 && runnerUp !== undefined && event.key > runnerUp)
        )
          break;
        bytes += Buffer.byteLength(event.message) + eventOverheadBytes;
        count++;
      }
      stream.events.splice(0, count);
      stream.storedBytes -= bytes;
      group.storedBytes -= bytes;
      group.eventCount -= count;
      this.#storedBytes -= bytes;
      stream.firstEventTimestamp = stream.events[0]?.timestamp;
    }
  }

  /**
   * FilterLogEvents: events of the chosen streams in one timeline (by timestamp, then ingestion), from `fromKey`,
   * within [startTime, endTime] (both inclusive on AWS), matching `filter`, at most `limit`.
   * `nextKey` is set when events remain to be searched.
   */
  filter(
    streams: readonly LogStreamState[],
    options: { fromKey?: bigint; startTime?: number; endTime?: number; filter: LogFilter; limit: number },
  ): { events: FilteredLogEvent[]; nextKey?: bigint } {
    const low = [
      options.fromKey ?? 0n,
      options.startTime === undefined ? 0n : timeKey(options.startTime),
    ].reduce((a, b) => (a > b ? a : b));
    const high = options.endTime === undefined ? undefined : timeKey(options.endTime + 1);
    const cursors = streams.map((stream) => ({ stream, index: lowerBound(stream.events, low) }));
    const events: FilteredLogEvent[] = [];
    for (;;) {
      let best: (typeof cursors)[number] | undefined;
      let bestEvent: StoredLogEvent | undefined;
      for (const cursor of cursors) {
        const candidate = cursor.stream.events[cursor.index];
        if (!candidate || (high !== undefined && candidate.key >= high)) continue;
        if (!bestEvent || candidate.key < bestEvent.key) {
          best = cursor;
          bestEvent = candidate;
        }
      }
      if (!best || !bestEvent) return { events };
      if (events.length >= options.limit) return { events, nextKey: bestEvent.key };
      best.index++;
      if (options.filter(bestEvent.message)) events.push({ ...bestEvent, logStreamName: best.stream.name });
    }
  }

  /** Drops the group's oldest events (across streams) down to 99% of the cap, so trimming is not per event. */
  #trim(group: LogGroupState): void {
    let excess = group.eventCount - Math.floor(this.#maxEvents * 0.99);
    const drops = new Map<LogStreamState, number>();
    const streams = [...group.streams.values()];
    while (excess > 0) {
      let oldest: LogStreamState | undefined;
      let oldestKey: bigint | undefined;
      for (const stream of streams) {
        const event = stream.events[drops.get(stream) ?? 0];
        if (event && (oldestKey === undefined || event.key < oldestKey)) {
          oldest = stream;
          oldestKey = event.key;
        }
      }
      if (!oldest) break;
      drops.set(oldest, (drops.get(oldest) ?? 0) + 1);
      excess--;
    }
    for (const [stream, count] of drops) {
      const removed = stream.events.splice(0, count);
      const bytes = removed.reduce(
        (sum, event) => sum + Buffer.byteLength(event.message) + eventOverheadBytes,
        0,
      );
      stream.storedBytes -= bytes;
      group.storedBytes -= bytes;
      this.#storedBytes -= bytes;
      group.eventCount -= removed.length;
      stream.firstEventTimestamp = stream.events[0]?.timestamp;
    }
  }
}

function validateStreamName(name: string): void {
  if (name.length < 1 || name.length > 512 || /[:*]/.test(name)) {
    throw new InvalidParameterError(validationMessage("logStreamName", name, constraint.pattern("[^:*]*")));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
