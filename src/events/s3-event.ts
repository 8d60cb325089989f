import { randomBytes } from "node:crypto";
import { s3Arn } from "../engine/arn.ts";
/**
 * The S3 event notification format, in one place: the engine delivers it, `reconcile` and the probes synthesize
 * it, the function parses it (src/function/s3-event.ts decodes keys).
 */

/** An object that was created, with what S3 puts into the event about it. */
export interface ObjectCreated {
  eventName: string;
  bucket: string;
  /** The key as stored (decoded). */
  key: string;
  size: number;
  eTag: string;
  versionId?: string;
  sequencer: string;
  eventTime: string;
  requestId: string;
  sourceIp: string;
  principalId: string;
}

/** One record of an S3 event notification, as S3 delivers it to Lambda (event structure version 2.1). */
interface S3EventRecord {
  eventVersion: string;
  eventSource: "aws:s3";
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { "x-amz-request-id": string; "x-amz-id-2": string };
  s3: {
    s3SchemaVersion: "1.0";
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size: number; eTag: string; versionId?: string; sequencer: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

/** What the event needs besides the object itself. */
export interface S3EventSource {
  region: string;
  configurationId: string;
  /** Canonical-ID-like owner of the bucket, as S3 shows it in `ownerIdentity`. */
  bucketOwnerId: string;
  /** `x-amz-id-2` of the request; random when omitted. */
  hostId?: string;
}

/** Bytes that S3 leaves as they are in an event key: Java's URLEncoder safe set, plus `/`. */
const unescaped = /[A-Za-z0-9.\-_*/]/;

/**
 * Encodes an object key the way S3 writes it into event notifications.
 *
 * AWS documents the key as "URL encoded, for example `red flower.jpg` becomes `red+flower.jpg`", i.e.
 * `application/x-www-form-urlencoded`: space is `+`, a literal `+` is `%2B`, other reserved bytes are
 * percent-encoded from UTF-8 with upper-case hex. Events observed from real buckets keep `/` as is
 * (`protected/us-east-1%3Aabc/images/x.jpeg`), so `/` stays unencoded; the Lambda console's test template
 * shows `test%2Fkey`, but that is a hand-written sample, not what S3 sends. LocalStack uses Python's
 * `quote()` (space as `%20`), which differs from AWS; we follow AWS.
 *
 * @example encodeS3EventKey("uploads/red flower+1.jpg") === "uploads/red+flower%2B1.jpg"
 */
export function encodeS3EventKey(key: string): string {
  let encoded = "";
  for (const char of key) {
    if (char === " ") encoded += "+";
    else if (unescaped.test(char)) encoded += char;
    else
      for (const byte of Buffer.from(char, "utf8"))
        encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/**
 * Decodes an event key back to the object key (`+` is a space); throws a URIError on a malformed escape.
 *
 * @example decodeS3EventKey("uploads/red+flower%2B1.jpg") === "uploads/red flower+1.jpg"
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** Builds the event S3 sends to a Lambda destination for one created object. */
export function buildS3Event(event: ObjectCreated, source: S3EventSource): S3Event {
  const object: S3EventRecord["s3"]["object"] = {
    key: encodeS3EventKey(event.key),
    size: event.size,
    eTag: event.eTag.replace(/"/g, ""),
    ...(event.versionId ? { versionId: event.versionId } : {}),
    sequencer: event.sequencer,
  };
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: source.region,
        eventTime: event.eventTime,
        eventName: event.eventName,
        userIdentity: { principalId: event.principalId },
        requestParameters: { sourceIPAddress: event.sourceIp },
        responseElements: {
          "x-amz-request-id": event.requestId,
          "x-amz-id-2": source.hostId ?? randomBytes(48).toString("base64"),
        },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: source.configurationId,
          bucket: {
            name: event.bucket,
            ownerIdentity: { principalId: source.bucketOwnerId },
            arn: s3Arn(event.bucket),
          },
          object,
        },
      },
    ],
  };
}
