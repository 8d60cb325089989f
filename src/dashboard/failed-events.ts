import type { FailedEvent } from "../engine/internal.ts";
import { decodeS3Key } from "../function/s3-event.ts";

/** A failed asynchronous invocation as the failed-events panel shows it: the payload replaced by its keys. */
export type FailedEventView = Omit<FailedEvent, "payload"> & {
  /** Object keys named by the event's records (decoded), to tell which upload failed. */
  keys: string[];
};

/** S3 event keys are form-URL-encoded (`+` for space); a malformed escape is shown as it is. */
function decodeEventKey(key: string): string {
  try {
    return decodeS3Key(key);
  } catch {
    return key;
  }
}

/** The object keys of an S3 event payload, or none for other shapes. */
export function eventObjectKeys(payload: unknown): string[] {
  const records = (payload as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((record) => {
    const key = (record as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
    return typeof key === "string" ? [decodeEventKey(key)] : [];
  });
}

/** Maps the Lambda service's failed events to views, newest failure first. */
export function failedEventViews(events: FailedEvent[]): FailedEventView[] {
  return events.map(({ payload, ...event }) => ({ ...event, keys: eventObjectKeys(payload) })).reverse();
}
