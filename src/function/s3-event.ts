/**
 * Pure parsing of S3 event notifications into records the function can act on.
 * Nothing here does I/O: every decision is unit-tested without AWS.
 */

/** A record that passed validation: an object was created. */
export interface ObjectCreatedRecord {
  bucket: string;
  /** Decoded key, exactly as stored in S3. */
  key: string;
  eventName: string;
  eventTime: string;
  sequencer?: string;
  /** Size and ETag as S3 reported them in the event (HeadObject is the source of truth). */
  size?: number;
  eTag?: string;
  /** The version the event announced, on a versioned bucket (absent, or `null`, on unversioned ones). */
  versionId?: string;
}

/** Why a record is not processed. */
export type SkipReason =
  | "test-event"
  | "not-s3"
  | "not-object-created"
  | "malformed"
  | "undecodable-key"
  | "unexpected-bucket"
  | "object-missing"
  | "superseded";

interface SkippedRecord {
  index: number;
  reason: SkipReason;
  detail: string;
}

export interface ParsedEvent {
  records: Array<{ index: number; record: ObjectCreatedRecord }>;
  skipped: SkippedRecord[];
}

/** Error for a key whose percent-encoding is invalid. */
export class KeyDecodingError extends Error {
  constructor(encodedKey: string, options?: { cause?: unknown }) {
    super(`cannot decode object key ${JSON.stringify(encodedKey)}`, options);
    this.name = "KeyDecodingError";
  }
}

/**
 * Decodes a key as S3 writes it into event notifications: form encoding, where `+` is a space,
 * `%2B` a plus and UTF-8 bytes are percent-escaped.
 *
 * @example decodeS3Key("uploads/my+cat%2B1.jpg") // "uploads/my cat+1.jpg"
 */
export function decodeS3Key(encodedKey: string): string {
  try {
    return decodeURIComponent(encodedKey.replace(/\+/g, " "));
  } catch (cause) {
    throw new KeyDecodingError(encodedKey, { cause });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Splits an incoming event into object-created records and skipped ones with a reason.
 * Never throws: a malformed record must not fail the rest of the batch.
 */
export function parseS3Event(event: unknown, options: { expectedBucket?: string } = {}): ParsedEvent {
  const parsed: ParsedEvent = { records: [], skipped: [] };
  if (!isObject(event)) {
    parsed.skipped.push({ index: -1, reason: "malformed", detail: "event is not a JSON object" });
    return parsed;
  }
  if (event.Event === "s3:TestEvent") {
    parsed.skipped.push({
      index: -1,
      reason: "test-event",
      detail: "s3:TestEvent sent when notifications were configured",
    });
    return parsed;
  }
  if (!Array.isArray(event.Records)) {
    parsed.skipped.push({ index: -1, reason: "malformed", detail: "event has no Records array" });
    return parsed;
  }
  event.Records.forEach((raw: unknown, index: number) => {
    const result = parseRecord(raw, options.expectedBucket);
    if ("reason" in result) parsed.skipped.push({ index, ...result });
    else parsed.records.push({ index, record: result });
  });
  return parsed;
}

function parseRecord(
  raw: unknown,
  expectedBucket: string | undefined,
): ObjectCreatedRecord | { reason: SkipReason; detail: string } {
  if (!isObject(raw)) return { reason: "malformed", detail: "record is not an object" };
  if (raw.eventSource !== "aws:s3") {
    return { reason: "not-s3", detail: `eventSource is ${JSON.stringify(raw.eventSource ?? null)}` };
  }
  const eventName = raw.eventName;
  if (typeof eventName !== "string") return { reason: "malformed", detail: "record has no eventName" };
  if (!eventName.startsWith("ObjectCreated:"))
    return { reason: "not-object-created", detail: `eventName is ${eventName}` };
  const s3 = raw.s3;
  if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) {
    return { reason: "malformed", detail: "record has no s3.bucket / s3.object" };
  }
  const bucket = s3.bucket.name;
  const encodedKey = s3.object.key;
  if (typeof bucket !== "string" || bucket === "")
    return { reason: "malformed", detail: "s3.bucket.name is missing" };
  if (typeof encodedKey !== "string" || encodedKey === "")
    return { reason: "malformed", detail: "s3.object.key is missing" };
  if (expectedBucket && bucket !== expectedBucket) {
    return { reason: "unexpected-bucket", detail: `bucket ${bucket} is not ${expectedBucket}` };
  }
  let key: string;
  try {
    key = decodeS3Key(encodedKey);
  } catch (error) {
    return { reason: "undecodable-key", detail: (error as Error).message };
  }
  const record: ObjectCreatedRecord = {
    bucket,
    key,
    eventName,
    eventTime: typeof raw.eventTime === "string" ? raw.eventTime : "",
  };
  if (typeof s3.object.sequencer === "string") record.sequencer = s3.object.sequencer;
  if (typeof s3.object.size === "number") record.size = s3.object.size;
  if (typeof s3.object.eTag === "string") record.eTag = s3.object.eTag;
  if (typeof s3.object.versionId === "string" && s3.object.versionId !== "" && s3.object.versionId !== "null")
    record.versionId = s3.object.versionId;
  return record;
}

/** Which version of the object a HeadObject must read so the record describes what the event announced. */
export type VersionSelector = { versionId: string } | { ifMatch: string } | Record<string, never>;

/**
 * The exact version an event names: its `versionId` on a versioned bucket, otherwise its ETag as a
 * precondition (an overwritten object then fails the read instead of lending its ETag and size to this
 * event's record). Events without either (hand-made ones) read the current object.
 *
 * @example versionSelector({ versionId: "3HL4k", eTag: "abc" }) // { versionId: "3HL4k" }
 * @example versionSelector({ eTag: "abc" }) // { ifMatch: '"abc"' }
 */
export function versionSelector(record: Pick<ObjectCreatedRecord, "versionId" | "eTag">): VersionSelector {
  if (record.versionId !== undefined) return { versionId: record.versionId };
  const etag = record.eTag?.replace(/^"+|"+$/g, "");
  if (etag) return { ifMatch: `"${etag}"` };
  return {};
}
