import { parseS3Event } from "../function/s3-event.ts";

/**
 * Failed asynchronous invocations as the on-failure queue holds them: one SQS message per event, its body
 * Lambda's invocation record. Pure: shaping what `pipeline failed` and the dashboard show, and what a re-drive
 * must confirm, from a message. The queue's I/O is in `failed-queue.ts`.
 *
 * The record, as AWS sends it to an SQS destination:
 * `{ version, timestamp, requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 *    requestPayload, responseContext: { statusCode, executedVersion, functionError }, responsePayload }`
 */

/** An object named by a failed event: its record must exist before the event's message may be deleted. */
export interface FailedObject {
  bucket: string;
  key: string;
  eTag?: string;
  versionId?: string;
}

/** One failed event as listed (`pipeline failed --json`, the dashboard's failed panel). */
export interface FailedEvent {
  /** The SQS message ID: what `--redrive <id>` names. */
  id: string;
  /** The function that failed (from `requestContext.functionArn`, without a version qualifier). */
  functionName: string;
  /** The asynchronous invocation's request ID, shared by all its attempts. */
  requestId: string;
  /** Why Lambda gave up: `RetriesExhausted`, `EventAgeExceeded`; `unreadable` when the message is no record. */
  condition: string;
  /** `approximateInvokeCount`: the first attempt and the retries. */
  attempts: number;
  errorType: string;
  errorMessage: string;
  /** Decoded object keys of the event's S3 records. */
  keys: string[];
  objects: FailedObject[];
  /** When Lambda gave up (the record's `timestamp`). */
  failedAt: string;
}

/** A failed event with what re-driving it needs: the original payload. */
export interface FailedEventMessage {
  event: FailedEvent;
  /** `requestPayload`, exactly as the function first received it; undefined when the message is no record. */
  payload: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** `arn:aws:lambda:r:a:function:name[:qualifier]` → `name`; anything else as it is. */
export function functionNameOf(functionArn: string): string {
  const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(functionArn);
  return match?.[1] ?? functionArn;
}

/** The error of a failed invocation, from the response payload Lambda recorded (absent when the event expired). */
function invocationError(record: Record<string, unknown>): {
  errorType: string;
  errorMessage: string;
} {
  const requestContext = isObject(record.requestContext) ? record.requestContext : {};
  const responseContext = isObject(record.responseContext) ? record.responseContext : {};
  const response = record.responsePayload;
  const condition = text(requestContext.condition) ?? "";
  if (isObject(response)) {
    return {
      errorType: text(response.errorType) ?? text(responseContext.functionError) ?? "Error",
      errorMessage: text(response.errorMessage) ?? JSON.stringify(response),
    };
  }
  if (typeof response === "string" && response !== "")
    return { errorType: text(responseContext.functionError) ?? "Error", errorMessage: response };
  if (condition === "EventAgeExceeded")
    return { errorType: condition, errorMessage: "the event was older than the maximum event age" };
  return {
    errorType: text(responseContext.functionError) ?? (condition || "Error"),
    errorMessage: "no error recorded",
  };
}

/** The S3 objects an event payload names (keys decoded), for listing and for confirming records. */
export function payloadObjects(payload: unknown): FailedObject[] {
  return parseS3Event(payload).records.map(({ record }) => ({
    bucket: record.bucket,
    key: record.key,
    ...(record.eTag ? { eTag: record.eTag } : {}),
    ...(record.versionId ? { versionId: record.versionId } : {}),
  }));
}

/**
 * Reads one on-failure queue message. Never throws: a message that is not an invocation record (sent by hand,
 * or from another producer) is listed with condition `unreadable` and no payload, so it cannot be re-driven.
 *
 * @example parseFailedEventMessage({ id: "m1", body: JSON.stringify(record) }).event.attempts // 3
 */
export function parseFailedEventMessage(message: {
  id: string;
  body: string;
  /** SentTimestamp (ms), the fallback for `failedAt`. */
  sentAt?: number;
}): FailedEventMessage {
  const sentAt = new Date(message.sentAt ?? 0).toISOString();
  let record: unknown;
  try {
    record = JSON.parse(message.body);
  } catch {
    record = undefined;
  }
  const requestContext =
    isObject(record) && isObject(record.requestContext) ? record.requestContext : undefined;
  if (!isObject(record) || !requestContext || !("requestPayload" in record)) {
    return {
      event: {
        id: message.id,
        functionName: "",
        requestId: "",
        condition: "unreadable",
        attempts: 0,
        errorType: "UnreadableMessage",
        errorMessage: `not a Lambda invocation record: ${message.body.slice(0, 120)}`,
        keys: [],
        objects: [],
        failedAt: sentAt,
      },
      payload: undefined,
    };
  }
  const objects = payloadObjects(record.requestPayload);
  const count = requestContext.approximateInvokeCount;
  return {
    event: {
      id: message.id,
      functionName: functionNameOf(text(requestContext.functionArn) ?? ""),
      requestId: text(requestContext.requestId) ?? "",
      condition: text(requestContext.condition) ?? "",
      attempts: typeof count === "number" && Number.isFinite(count) ? count : 0,
      ...invocationError(record),
      keys: objects.map((o) => o.key),
      objects,
      failedAt: text(record.timestamp) ?? sentAt,
    },
    payload: record.requestPayload,
  };
}

/** Which events a re-drive takes: one id, or all of them. */
export type RedriveSelection = { all: true } | { id: string };

export function isSelected(event: FailedEvent, selection: RedriveSelection): boolean {
  return "all" in selection ? true : event.id === selection.id;
}
