import type { ActivityEvent, ActivityOf } from "../engine/activity.ts";
import type { ObjectCreatedEvent } from "../engine/types.ts";
import { parseFunctionLogLine } from "./function-log.ts";

/**
 * The dashboard's flow timeline as a pure, bounded in-memory model: one row per uploaded object, fed with the
 * engine's `objectCreated` and `activity` events (S3 delivery, Lambda invocations and retries, function logs).
 * It never does I/O; the server pushes the rows each call returns to the page.
 */

/** One run of the function for a delivery (retries share the request ID and add attempts). */
interface FlowInvocation {
  attempt: number;
  startedAt: number;
  endedAt?: number;
  cold: boolean;
  durationMs?: number;
  /** `success`, `error`, `timeout`, `crash`, `init-error`, ... as the Lambda service reports it. */
  outcome?: string;
  error?: string;
}

/** What the function did with the object, from its structured log line. */
interface FlowRecordOutcome {
  outcome: string;
  at: number;
  pk?: string;
  sk?: string;
  detail?: string;
}

/** One delivery of the object's event to the function: an S3 notification copy, a re-drive or a direct invoke. */
export interface FlowDelivery {
  requestId: string;
  source: "s3" | "redrive" | "invoke";
  /** 1-based copy number when S3 delivered the event more than once. */
  copy?: number;
  queuedAt: number;
  delayMs?: number;
  invocations: FlowInvocation[];
  /** Set while a retry is scheduled after `attempt` failed attempts. */
  retry?: { attempt: number; delayMs: number; error: string; at: number };
  record?: FlowRecordOutcome;
  failed?: { id: string; at: number; attempts: number; error: string };
  /** Request ID of the re-drive that replaced this failed delivery. */
  redrivenAs?: string;
  state: DeliveryState;
}

type DeliveryState = "queued" | "running" | "retrying" | "invoked" | "failed" | string;

/** One object: its upload and every delivery of its event. */
export interface FlowRow {
  id: string;
  bucket: string;
  key: string;
  size?: number;
  eTag?: string;
  sequencer?: string;
  uploadedAt?: number;
  dropped?: { at: number; reason: string };
  deliveries: FlowDelivery[];
  /** Number of deliveries beyond the first that reached the function with the same event. */
  duplicates: number;
  /** `uploaded`, `queued`, `running`, `retrying`, `written`, `duplicate`, `skipped:*`, `failed`, `dropped`. */
  status: string;
  updatedAt: number;
}

/** What one event changed, so the server knows what to push. */
export interface FlowUpdate {
  /** Copies of the rows as they are after the event. */
  rows: FlowRow[];
  /** The failed-event list changed (an event failed or was re-driven). */
  failedChanged: boolean;
  /** A record was written: the records panel is stale. */
  recordWritten: boolean;
}

export interface FlowModelOptions {
  /** Only objects of this bucket are tracked (the stack's bucket). */
  bucket?: string;
  /** Only this log group's lines are read (the function's `/aws/lambda/<name>`). */
  logGroup?: string;
  /** Rows kept; the oldest go first. Default 200. */
  maxRows?: number;
  /** Clock, in epoch milliseconds with a fraction (tests pass a fake one). */
  now?: () => number;
}

interface PendingInvocation {
  requestId: string;
  invocations: FlowInvocation[];
}

const noChange = (): FlowUpdate => ({ rows: [], failedChanged: false, recordWritten: false });

/** Keeps bounded rows and answers which rows each engine event touched. */
export class FlowModel {
  readonly #rows: FlowRow[] = [];
  /** The rows of each object (`bucket/key`), oldest first: the latest row is found without a scan of every row. */
  readonly #rowsByObject = new Map<string, FlowRow[]>();
  readonly #byRequestId = new Map<string, FlowRow>();
  /** Invocations whose request ID no delivery claims yet (direct invokes), until a log line names the object. */
  readonly #pending = new Map<string, PendingInvocation>();
  readonly #maxRows: number;
  readonly #bucket: string | undefined;
  readonly #logGroup: string | undefined;
  readonly #now: () => number;
  #nextId = 1;

  constructor(options: FlowModelOptions = {}) {
    this.#maxRows = Math.max(1, options.maxRows ?? 200);
    this.#bucket = options.bucket;
    this.#logGroup = options.logGroup;
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  /** Copies of the rows, newest upload first. */
  rows(): FlowRow[] {
    return this.#rows.map((row) => structuredClone(row)).reverse();
  }

  /**
   * S3 acknowledged a write. `at` is when it happened, when the caller knows better than the clock (a
   * dashboard that learns of uploads by polling passes the object's LastModified).
   */
  objectCreated(event: ObjectCreatedEvent, at?: number): FlowUpdate {
    if (!this.#tracks(event.bucket)) return noChange();
    const now = at ?? this.#now();
    // A row made earlier from a delivery that overtook its upload event is completed, not duplicated.
    const placeholder = this.#latestRow(event.bucket, event.key, (row) => row.sequencer === undefined);
    const row = placeholder ?? this.#addRow(event.bucket, event.key, now);
    row.size = event.size;
    row.eTag = event.eTag.replace(/^"|"$/g, "");
    row.sequencer = event.sequencer;
    row.uploadedAt = now;
    return this.#changed(row, now);
  }

  /** Any `activity` event of the engine; kinds the flow does not show change nothing. `at` as for `objectCreated`. */
  activity(event: ActivityEvent, at?: number): FlowUpdate {
    const now = at ?? this.#now();
    switch (event.kind) {
      case "s3.delivery.queued":
        return this.#queued(event, now);
      case "s3.delivery.dropped":
        return this.#dropped(event, now);
      case "invoke.start":
        return this.#invokeStart(event, now);
      case "invoke.end":
        return this.#invokeEnd(event, now);
      case "async.retry":
        return this.#retry(event, now);
      case "async.failed":
        return this.#failed(event, now);
      case "async.redrive":
        return this.#redrive(event, now);
      case "log":
        return this.#log(event, now);
      default:
        return noChange();
    }
  }

  #tracks(bucket: string | undefined): boolean {
    return bucket !== undefined && (this.#bucket === undefined || bucket === this.#bucket);
  }

  #queued(event: ActivityOf<"s3.delivery.queued">, now: number): FlowUpdate {
    const { bucket, key, requestId } = event;
    if (!this.#tracks(bucket)) return noChange();
    const row = this.#latestRow(bucket, key) ?? this.#addRow(bucket, key, now);
    const delivery = this.#addDelivery(row, requestId, "s3", now);
    if (event.copy !== undefined) delivery.copy = event.copy;
    if (event.delayMs) delivery.delayMs = event.delayMs;
    return this.#changed(row, now);
  }

  #dropped(event: ActivityOf<"s3.delivery.dropped">, now: number): FlowUpdate {
    const { bucket, key } = event;
    if (!this.#tracks(bucket)) return noChange();
    const row = this.#latestRow(bucket, key) ?? this.#addRow(bucket, key, now);
    row.dropped = { at: now, reason: event.reason };
    return this.#changed(row, now);
  }

  #invokeStart(event: ActivityOf<"invoke.start">, now: number): FlowUpdate {
    const { requestId } = event;
    const row = this.#byRequestId.get(requestId);
    const delivery = row && this.#delivery(row, requestId);
    const invocations = delivery?.invocations ?? this.#pendingFor(requestId).invocations;
    invocations.push({ attempt: invocations.length + 1, startedAt: now, cold: event.cold });
    if (!row || !delivery) return noChange();
    delete delivery.retry;
    return this.#changed(row, now);
  }

  #invokeEnd(event: ActivityOf<"invoke.end">, now: number): FlowUpdate {
    const { requestId } = event;
    const row = this.#byRequestId.get(requestId);
    const delivery = row && this.#delivery(row, requestId);
    const invocations = delivery?.invocations ?? this.#pending.get(requestId)?.invocations;
    if (!invocations) return noChange();
    let invocation = invocations.at(-1);
    // An init failure ends without a start event.
    if (!invocation || invocation.endedAt !== undefined) {
      invocation = { attempt: invocations.length + 1, startedAt: now, cold: event.cold };
      invocations.push(invocation);
    }
    invocation.endedAt = now;
    // Read from a REPORT line after the start was already shown: an init duration means a cold start.
    if (event.initDurationMs !== undefined) invocation.cold = true;
    if (event.durationMs !== undefined) invocation.durationMs = event.durationMs;
    invocation.outcome = event.outcome;
    if (event.error !== undefined) invocation.error = event.error;
    return row && delivery ? this.#changed(row, now) : noChange();
  }

  #retry(event: ActivityOf<"async.retry">, now: number): FlowUpdate {
    const found = this.#find(event.requestId);
    if (!found) return noChange();
    found.delivery.retry = { attempt: event.attempt, delayMs: event.delayMs, error: event.error, at: now };
    return this.#changed(found.row, now);
  }

  #failed(event: ActivityOf<"async.failed">, now: number): FlowUpdate {
    const found = this.#find(event.requestId);
    if (!found) return { ...noChange(), failedChanged: true };
    delete found.delivery.retry;
    found.delivery.failed = {
      id: event.failedEventId,
      at: now,
      attempts: event.attempts,
      error: event.error,
    };
    return { ...this.#changed(found.row, now), failedChanged: true };
  }

  #redrive(event: ActivityOf<"async.redrive">, now: number): FlowUpdate {
    const { failedEventId, requestId } = event;
    const row = this.#rows.find((r) => r.deliveries.some((d) => d.failed?.id === failedEventId));
    if (!row) return { ...noChange(), failedChanged: true };
    const original = row.deliveries.find((d) => d.failed?.id === failedEventId);
    if (original) original.redrivenAs = requestId;
    this.#addDelivery(row, requestId, "redrive", now);
    return { ...this.#changed(row, now), failedChanged: true };
  }

  #log(event: ActivityOf<"log">, now: number): FlowUpdate {
    if (this.#logGroup !== undefined && event.group !== this.#logGroup) return noChange();
    const touched = new Set<FlowRow>();
    let recordWritten = false;
    for (const line of event.events) {
      const facts = parseFunctionLogLine(line.message);
      if (!facts?.outcome || facts.requestId === undefined) continue;
      const found = this.#claim(facts.requestId, facts.bucket, facts.key, now);
      if (!found) continue;
      const record: FlowRecordOutcome = { outcome: facts.outcome, at: now };
      if (facts.pk !== undefined) record.pk = facts.pk;
      if (facts.sk !== undefined) record.sk = facts.sk;
      if (facts.detail !== undefined) record.detail = facts.detail;
      found.delivery.record = record;
      if (facts.outcome === "written") recordWritten = true;
      touched.add(found.row);
    }
    const rows = [...touched].flatMap((row) => this.#changed(row, now).rows);
    return { rows, failedChanged: false, recordWritten };
  }

  /**
   * The delivery a log line is about: by request ID, or, for an invocation nobody queued (a direct Invoke
   * of the function with an S3 event), a new delivery on the object's newest row.
   */
  #claim(
    requestId: string,
    bucket: string | undefined,
    key: string | undefined,
    now: number,
  ): { row: FlowRow; delivery: FlowDelivery } | undefined {
    const row = this.#byRequestId.get(requestId);
    const delivery = row && this.#delivery(row, requestId);
    if (row && delivery) return { row, delivery };
    if (!this.#tracks(bucket) || key === undefined) return undefined;
    const target = this.#latestRow(bucket as string, key) ?? this.#addRow(bucket as string, key, now);
    const pending = this.#pending.get(requestId);
    this.#pending.delete(requestId);
    const adopted = this.#addDelivery(target, requestId, "invoke", pending?.invocations[0]?.startedAt ?? now);
    adopted.invocations.push(...(pending?.invocations ?? []));
    return { row: target, delivery: adopted };
  }

  #find(requestId: string): { row: FlowRow; delivery: FlowDelivery } | undefined {
    const row = this.#byRequestId.get(requestId);
    const delivery = row && this.#delivery(row, requestId);
    return row && delivery ? { row, delivery } : undefined;
  }

  #delivery(row: FlowRow, requestId: string): FlowDelivery | undefined {
    // The newest delivery with that ID: a re-invoke with the same ID is a new attempt of the same delivery.
    for (let i = row.deliveries.length - 1; i >= 0; i -= 1) {
      const delivery = row.deliveries[i] as FlowDelivery;
      if (delivery.requestId === requestId) return delivery;
    }
    return undefined;
  }

  #pendingFor(requestId: string): PendingInvocation {
    let pending = this.#pending.get(requestId);
    if (!pending) {
      pending = { requestId, invocations: [] };
      this.#pending.set(requestId, pending);
      // Bounded: invocations that never name an object (other functions, foreign events) age out.
      if (this.#pending.size > this.#maxRows) {
        const oldest = this.#pending.keys().next().value;
        if (oldest !== undefined) this.#pending.delete(oldest);
      }
    }
    return pending;
  }

  #latestRow(bucket: string, key: string, accept: (row: FlowRow) => boolean = () => true) {
    const rows = this.#rowsByObject.get(objectKey(bucket, key)) ?? [];
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const row = rows[i] as FlowRow;
      if (accept(row)) return row;
    }
    return undefined;
  }

  #addRow(bucket: string, key: string, now: number): FlowRow {
    const row: FlowRow = {
      id: `o${this.#nextId++}`,
      bucket,
      key,
      deliveries: [],
      duplicates: 0,
      status: "uploaded",
      updatedAt: now,
    };
    this.#rows.push(row);
    const object = objectKey(bucket, key);
    const sameObject = this.#rowsByObject.get(object);
    if (sameObject) sameObject.push(row);
    else this.#rowsByObject.set(object, [row]);
    while (this.#rows.length > this.#maxRows) {
      const evicted = this.#rows.shift() as FlowRow;
      const evictedObject = objectKey(evicted.bucket, evicted.key);
      const remaining = this.#rowsByObject.get(evictedObject);
      remaining?.shift();
      if (remaining?.length === 0) this.#rowsByObject.delete(evictedObject);
      for (const delivery of evicted.deliveries) {
        if (this.#byRequestId.get(delivery.requestId) === evicted)
          this.#byRequestId.delete(delivery.requestId);
      }
    }
    return row;
  }

  #addDelivery(row: FlowRow, requestId: string, source: FlowDelivery["source"], at: number): FlowDelivery {
    const delivery: FlowDelivery = { requestId, source, queuedAt: at, invocations: [], state: "queued" };
    row.deliveries.push(delivery);
    this.#byRequestId.set(requestId, row);
    return delivery;
  }

  #changed(row: FlowRow, now: number): FlowUpdate {
    row.updatedAt = now;
    this.#refresh(row);
    // A copy: callers serialize it later or keep it, and later events must not change what they hold.
    return { rows: [structuredClone(row)], failedChanged: false, recordWritten: false };
  }

  #refresh(row: FlowRow): void {
    for (const delivery of row.deliveries) delivery.state = deliveryState(delivery);
    row.duplicates = row.deliveries.filter((d) => d.record?.outcome === "duplicate").length;
    row.status = rowStatus(row);
  }
}

/** A Map key for one object; a bucket name has no `/`. */
const objectKey = (bucket: string, key: string) => `${bucket}/${key}`;

/** Where one delivery stands now. */
function deliveryState(delivery: FlowDelivery): DeliveryState {
  if (delivery.failed) return "failed";
  const last = delivery.invocations.at(-1);
  if (last && last.endedAt === undefined) return "running";
  if (delivery.retry) return "retrying";
  if (delivery.record) return delivery.record.outcome;
  if (last) return last.outcome === "success" ? "invoked" : "failed";
  return "queued";
}

/**
 * A row's headline: `written` once any delivery wrote the record (later duplicates do not undo that),
 * otherwise the newest delivery's state, else `dropped` or `uploaded`.
 */
function rowStatus(row: FlowRow): string {
  if (row.deliveries.some((d) => d.state === "written")) return "written";
  const newest = row.deliveries.at(-1);
  if (newest) return newest.state;
  return row.dropped ? "dropped" : "uploaded";
}
