import type { EngineContext } from "../context.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { noSuchBucket } from "./errors.ts";
import type { Sequencer } from "./events.ts";
import type { S3EventNotifications } from "./notifiers/index.ts";
import type { BucketState, S3Store } from "./storage/store.ts";
import { renderXml, type XmlObject } from "./xml.ts";

/** What every S3 operation handler works with: the engine, the store, the event sequencer and notifications. */
export interface S3Runtime {
  readonly context: EngineContext;
  readonly store: S3Store;
  readonly sequencer: Sequencer;
  /** Destination checks and delivery of the buckets' event notifications. */
  readonly notifications: S3EventNotifications;
  /** Whether SigV4 signatures are verified (`--verify-signatures`). */
  readonly verifySignatures: boolean;
}

/** One routed request: the decoded address plus the raw request. */
export interface S3Call {
  readonly request: ServiceRequest;
  /** Set for every operation except ListBuckets. */
  readonly bucket: string;
  /** Set for object operations. */
  readonly key: string;
}

/** Operation handlers share this signature. */
export type S3Handler = (runtime: S3Runtime, call: S3Call) => Promise<ServiceResponse>;

/** The owner S3 reports for everything (LocalStack's default canonical user). */
export const OWNER = {
  ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
  DisplayName: "webfile",
} as const;

/** The bucket, or NoSuchBucket. */
export function requireBucket(runtime: S3Runtime, name: string): BucketState {
  const bucket = runtime.store.buckets.get(name);
  if (!bucket) throw noSuchBucket(name);
  return bucket;
}

/** A 200 (or other) response with an S3 XML document. */
export function xmlResponse(
  root: string,
  content: XmlObject | string,
  headers: Record<string, string> = {},
  status = 200,
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/xml", ...headers },
    body: renderXml(root, content),
  };
}

/** An empty response (`204 No Content` unless told otherwise). */
export function emptyResponse(status = 204, headers: Record<string, string> = {}): ServiceResponse {
  return { status, headers };
}
