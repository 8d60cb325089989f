import type { ChecksumAlgorithm } from "../checksums.ts";
import type { NotificationConfiguration } from "../notifications.ts";

/**
 * The persisted shapes of S3 state. Every record is plain JSON so the same shapes serve the in-memory
 * state and the durable journal.
 */

/** One stored run of bytes; objects from multipart uploads are several segments, one per part. */
export interface BlobSegment {
  id: string;
  size: number;
}

export type BlobRef = BlobSegment[];

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; composite multipart checksums end with `-<parts>`. */
  value: string;
  type: "FULL_OBJECT" | "COMPOSITE";
}

/** Headers stored with an object and returned on GET/HEAD. */
export interface ObjectAttributes {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  storageClass?: string;
  /** `x-amz-meta-*` without the prefix, lower-cased names. */
  metadata: Record<string, string>;
  /** `AES256` or `aws:kms`. */
  serverSideEncryption?: string;
  sseKmsKeyId?: string;
  /** SSE-C: base64 MD5 of the customer's key; reads must present the same key. */
  sseCustomerKeyMd5?: string;
  /** Object tags (`x-amz-tagging` on write, PutObjectTagging later). */
  tags?: Record<string, string>;
  /** The canned ACL set on write or by PutObjectAcl, in a bucket whose ownership setting allows ACLs. */
  acl?: string;
}

export interface ObjectRecord extends ObjectAttributes {
  key: string;
  size: number;
  /** MD5 hex, or `<hex>-<parts>` for multipart objects; without quotes. */
  etag: string;
  /** ISO 8601 with milliseconds. */
  lastModified: string;
  checksum?: StoredChecksum;
  versionId?: string;
  sequencer: string;
  partsCount?: number;
  /** Each part's checksum (base64, in part order) when the upload named an algorithm; `?partNumber=N` reads. */
  partChecksums?: string[];
  blob: BlobRef;
}

/** A delete marker: the latest "version" of a key deleted in a versioned bucket. */
export interface DeleteMarkerRecord {
  key: string;
  versionId: string;
  lastModified: string;
  deleteMarker: true;
}

/** One entry of a key's version history. */
export type VersionEntry = ObjectRecord | DeleteMarkerRecord;

export const isDeleteMarker = (entry: VersionEntry): entry is DeleteMarkerRecord =>
  "deleteMarker" in entry && entry.deleteMarker === true;

export interface PartRecord {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: string;
  checksum?: StoredChecksum;
  blob: BlobRef;
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: string;
  attributes: ObjectAttributes;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  initiatorArn: string;
}

export interface PublicAccessBlockConfiguration {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface EncryptionRule {
  sseAlgorithm: string;
  kmsMasterKeyId?: string;
  bucketKeyEnabled?: boolean;
}

/** One rule of a bucket's CORS configuration. */
export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface BucketConfiguration {
  publicAccessBlock?: PublicAccessBlockConfiguration;
  encryption?: EncryptionRule[];
  notification?: NotificationConfiguration;
  versioning?: "Enabled" | "Suspended";
  cors?: CorsRule[];
  tags?: Record<string, string>;
  /** The bucket policy as sent (JSON text); evaluated with the engine's IAM evaluator. */
  policy?: string;
  ownership?: "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter";
  /** The bucket's canned ACL (CreateBucket's `x-amz-acl`, PutBucketAcl) where its ownership allows ACLs. */
  acl?: string;
  /** The lifecycle configuration as sent (XML): stored and returned, not applied. */
  lifecycle?: string;
}

export interface BucketRecord {
  name: string;
  region: string;
  createdAt: string;
}

/** One durable state change; replaying them in order rebuilds the state. */
export type JournalRecord =
  /** `configuration`: what the bucket starts with (its ownership setting, a canned ACL). */
  | { t: "createBucket"; bucket: BucketRecord; configuration?: BucketConfiguration }
  | { t: "deleteBucket"; bucket: string }
  | { t: "configure"; bucket: string; configuration: BucketConfiguration }
  | { t: "putObject"; bucket: string; object: ObjectRecord }
  /** Without `marker`: the key and all its versions go (unversioned delete); with one: the marker is added. */
  | { t: "deleteObject"; bucket: string; key: string; marker?: DeleteMarkerRecord }
  | { t: "deleteVersion"; bucket: string; key: string; versionId: string }
  | { t: "tagObject"; bucket: string; key: string; versionId: string; tags?: Record<string, string> }
  | { t: "aclObject"; bucket: string; key: string; versionId: string; acl?: string }
  | { t: "createUpload"; bucket: string; upload: UploadRecord }
  | { t: "putPart"; bucket: string; uploadId: string; part: PartRecord }
  | { t: "completeUpload"; bucket: string; uploadId: string; object: ObjectRecord }
  | { t: "abortUpload"; bucket: string; uploadId: string };
