import type { ObjectCreatedRecord } from "./s3-event.ts";

/** What HeadObject told us; a subset of the SDK's output, so shaping stays pure. */
export interface ObjectHead {
  eTag: string;
  contentLength: number;
  contentType?: string;
  lastModified?: Date;
  metadata?: Record<string, string>;
  versionId?: string;
  serverSideEncryption?: string;
}

/** The DynamoDB item written once per object version (ETag). */
export interface ImageMetadataItem {
  PK: string;
  SK: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  contentType: string;
  lastModified: string | null;
  metadata: Record<string, string>;
  versionId?: string;
  sse: string | null;
  eventName: string;
  eventTime: string;
  sequencer: string | null;
  requestId: string;
  processedAt: string;
}

/** `IMG#<bucket>#<key>`: stable for an object path. */
export function partitionKey(bucket: string, key: string): string {
  return `IMG#${bucket}#${key}`;
}

/** `META#<etag>`: one item per content version, so a redelivered event hits the same key. */
export function sortKey(etag: string): string {
  return `META#${stripETagQuotes(etag)}`;
}

/** S3 returns ETags quoted (`"abc"`); records store them bare. */
export function stripETagQuotes(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"+|"+$/g, "");
}

/** Builds the normalized record from an event record and the object's head. */
export function shapeRecord(
  record: ObjectCreatedRecord,
  head: ObjectHead,
  invocation: { requestId: string; now: Date },
): ImageMetadataItem {
  const etag = stripETagQuotes(head.eTag);
  const item: ImageMetadataItem = {
    PK: partitionKey(record.bucket, record.key),
    SK: sortKey(etag),
    bucket: record.bucket,
    key: record.key,
    etag,
    size: head.contentLength,
    contentType: head.contentType ?? "binary/octet-stream",
    lastModified: head.lastModified ? head.lastModified.toISOString() : null,
    metadata: { ...(head.metadata ?? {}) },
    sse: head.serverSideEncryption ?? null,
    eventName: record.eventName,
    eventTime: record.eventTime,
    sequencer: record.sequencer ?? null,
    requestId: invocation.requestId,
    processedAt: invocation.now.toISOString(),
  };
  if (head.versionId && head.versionId !== "null") item.versionId = head.versionId;
  return item;
}
