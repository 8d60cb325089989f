import type { LambdaNotification } from "./notifications.ts";

/**
 * What the rest of the engine and its plugins (the dashboard, the control API, tests) may read of S3 in-process,
 * as `engine.apis.s3`: objects and buckets without HTTP, authorization or events.
 */

/** An object as other parts of the engine and the dashboard see it (no HTTP involved). */
export interface S3ObjectSummary {
  bucket: string;
  key: string;
  size: number;
  /** MD5 hex (or `<hex>-<parts>`), without quotes. */
  eTag: string;
  /** ISO 8601. */
  lastModified: string;
  contentType: string;
  metadata: Record<string, string>;
  versionId?: string;
}

interface S3BucketSummary {
  name: string;
  region: string;
  createdAt: string;
}

/** S3's typed, in-process read API. */
export interface S3ReadApi {
  /** The object's summary; undefined when the bucket or key does not exist. */
  headObject(bucket: string, key: string): S3ObjectSummary | undefined;
  /** Objects whose key starts with `prefix`, in S3 listing order; undefined when the bucket does not exist. */
  listObjects(bucket: string, prefix?: string): S3ObjectSummary[] | undefined;
  /** The object's bytes; undefined when it does not exist. */
  readObject(bucket: string, key: string): Promise<Buffer | undefined>;
  listBuckets(): S3BucketSummary[];
  /** The bucket's Lambda notification destinations (empty when none or no bucket). */
  getNotificationConfiguration(bucket: string): LambdaNotification[];
}
