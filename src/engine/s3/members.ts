import type { IncomingHttpHeaders } from "node:http";
import { notImplemented, S3Error } from "./errors.ts";
import type { OperationName } from "./operations.ts";

/**
 * Every input member of every S3 operation the AWS SDK models, by the SDK's member name: each is `handled`
 * (read by the operation, or by the S3 layer for all of them: `Bucket`/`Key` from the address, the body,
 * `ExpectedBucketOwner`, `ContentMD5` and `ChecksumAlgorithm` on configuration bodies, `RequestPayer`) or
 * `refused`, with the header (lower-case) or `?query` parameter it travels in: a request that carries one is
 * answered 501 NotImplemented naming it, never served as if it were absent. test/unit/member-coverage.test.ts
 * reads the SDK's own request shapes and fails when a member is neither, or when a wire name here is not the
 * SDK's. PreflightCors and PostObject are browser requests the SDK does not model.
 */
export interface OperationMembers {
  readonly handled: readonly string[];
  readonly refused: Readonly<Record<string, string>>;
}

const owner = ["ExpectedBucketOwner"];
/** A bucket configuration read or delete: the bucket and its expected owner. */
const bucketOnly: OperationMembers = { handled: ["Bucket", ...owner], refused: {} };
/** A bucket configuration write: its XML body (verified against Content-MD5 / a flexible checksum). */
const configurationPut = (body: string): OperationMembers => ({
  handled: ["Bucket", body, "ContentMD5", "ChecksumAlgorithm", ...owner],
  refused: {},
});

const grants = ["GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"];
const sseC = ["SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5"];
const copySourceConditions = [
  "CopySourceIfMatch",
  "CopySourceIfModifiedSince",
  "CopySourceIfNoneMatch",
  "CopySourceIfUnmodifiedSince",
];
const copySourceSseC = [
  "CopySourceSSECustomerAlgorithm",
  "CopySourceSSECustomerKey",
  "CopySourceSSECustomerKeyMD5",
];
const checksumValues = [
  "ChecksumCRC32",
  "ChecksumCRC32C",
  "ChecksumCRC64NVME",
  "ChecksumSHA1",
  "ChecksumSHA256",
];
/** Checksum algorithms the SDK models that the engine does not compute: refused, not skipped. */
const newerChecksums = {
  ChecksumSHA512: "x-amz-checksum-sha512",
  ChecksumMD5: "x-amz-checksum-md5",
  ChecksumXXHASH64: "x-amz-checksum-xxhash64",
  ChecksumXXHASH3: "x-amz-checksum-xxhash3",
  ChecksumXXHASH128: "x-amz-checksum-xxhash128",
};
const systemHeaders = [
  "CacheControl",
  "ContentDisposition",
  "ContentEncoding",
  "ContentLanguage",
  "ContentType",
  "Expires",
  "Metadata",
  "StorageClass",
  "WebsiteRedirectLocation",
];
/** Server-side encryption on writes: AES256 and SSE-C kept; KMS members are refused by name in sse.ts. */
const encryption = [
  "ServerSideEncryption",
  ...sseC,
  "SSEKMSKeyId",
  "SSEKMSEncryptionContext",
  "BucketKeyEnabled",
];
/** Object Lock: the classic headers are refused by name in the handlers (object-headers.ts). */
const objectLock = ["ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"];
const eventHolds = {
  ObjectLockEventHold: "x-amz-object-lock-event-hold",
  ObjectLockEventHoldDurationDays: "x-amz-object-lock-event-hold-duration-days",
  ObjectLockEventHoldDurationYears: "x-amz-object-lock-event-hold-duration-years",
};
/** What every new object's write takes besides its body and system headers: ACL, encryption, tags, lock. */
const newObject = ["ACL", ...grants, ...encryption, "RequestPayer", "Tagging", ...objectLock, ...owner];
/** PutBucketAcl / PutObjectAcl: a canned ACL, grant headers or an AccessControlPolicy body (acl-operations.ts). */
const aclPut = [
  "ACL",
  "AccessControlPolicy",
  "ContentMD5",
  "ChecksumAlgorithm",
  ...grants,
  "GrantWrite",
  ...owner,
];
const optionalAttributes = { OptionalObjectAttributes: "x-amz-optional-object-attributes" };
const mfa = { MFA: "x-amz-mfa" };
const bypass = { BypassGovernanceRetention: "x-amz-bypass-governance-retention" };
const readMembers = [
  "Bucket",
  "Key",
  "IfMatch",
  "IfModifiedSince",
  "IfNoneMatch",
  "IfUnmodifiedSince",
  "Range",
  "ResponseCacheControl",
  "ResponseContentDisposition",
  "ResponseContentEncoding",
  "ResponseContentLanguage",
  "ResponseContentType",
  "ResponseExpires",
  "VersionId",
  ...sseC,
  "RequestPayer",
  "PartNumber",
  "ChecksumMode",
  ...owner,
];

export const s3OperationMembers: Partial<Record<OperationName, OperationMembers>> = {
  ListBuckets: { handled: ["MaxBuckets", "ContinuationToken", "Prefix", "BucketRegion"], refused: {} },
  CreateBucket: {
    handled: [
      "Bucket",
      "ACL",
      "CreateBucketConfiguration",
      ...grants,
      "GrantWrite",
      "ObjectLockEnabledForBucket",
      "ObjectOwnership",
    ],
    refused: { BucketNamespace: "x-amz-bucket-namespace" },
  },
  HeadBucket: bucketOnly,
  DeleteBucket: bucketOnly,
  GetBucketLocation: bucketOnly,
  PutPublicAccessBlock: configurationPut("PublicAccessBlockConfiguration"),
  GetPublicAccessBlock: bucketOnly,
  DeletePublicAccessBlock: bucketOnly,
  PutBucketEncryption: configurationPut("ServerSideEncryptionConfiguration"),
  GetBucketEncryption: bucketOnly,
  DeleteBucketEncryption: bucketOnly,
  PutBucketNotificationConfiguration: {
    handled: ["Bucket", "NotificationConfiguration", "SkipDestinationValidation", ...owner],
    refused: {},
  },
  GetBucketNotificationConfiguration: bucketOnly,
  PutBucketVersioning: { ...configurationPut("VersioningConfiguration"), refused: mfa },
  GetBucketVersioning: bucketOnly,
  ListObjects: {
    handled: ["Bucket", "Delimiter", "EncodingType", "Marker", "MaxKeys", "Prefix", "RequestPayer", ...owner],
    refused: optionalAttributes,
  },
  ListObjectsV2: {
    handled: [
      "Bucket",
      "Delimiter",
      "EncodingType",
      "MaxKeys",
      "Prefix",
      "ContinuationToken",
      "FetchOwner",
      "StartAfter",
      "RequestPayer",
      ...owner,
    ],
    refused: optionalAttributes,
  },
  ListObjectVersions: {
    handled: [
      "Bucket",
      "Delimiter",
      "EncodingType",
      "KeyMarker",
      "MaxKeys",
      "Prefix",
      "VersionIdMarker",
      "RequestPayer",
      ...owner,
    ],
    refused: optionalAttributes,
  },
  ListMultipartUploads: {
    handled: [
      "Bucket",
      "Delimiter",
      "EncodingType",
      "KeyMarker",
      "MaxUploads",
      "Prefix",
      "UploadIdMarker",
      "RequestPayer",
      ...owner,
    ],
    refused: {},
  },
  DeleteObjects: {
    handled: ["Bucket", "Delete", "RequestPayer", "ChecksumAlgorithm", ...owner],
    refused: { ...mfa, ...bypass },
  },
  PutObject: {
    handled: [
      "Bucket",
      "Key",
      "Body",
      ...systemHeaders,
      "ContentLength",
      "ContentMD5",
      "ChecksumAlgorithm",
      ...checksumValues,
      "IfMatch",
      "IfNoneMatch",
      ...newObject,
    ],
    refused: { ...newerChecksums, WriteOffsetBytes: "x-amz-write-offset-bytes", ...eventHolds },
  },
  CopyObject: {
    handled: [
      "Bucket",
      "Key",
      "CopySource",
      ...systemHeaders,
      "ChecksumAlgorithm",
      ...copySourceConditions,
      "IfMatch",
      "IfNoneMatch",
      "MetadataDirective",
      "TaggingDirective",
      ...newObject,
      ...copySourceSseC,
      "ExpectedSourceBucketOwner",
    ],
    refused: { AnnotationDirective: "x-amz-object-annotation-directive", ...eventHolds },
  },
  GetObject: { handled: readMembers, refused: {} },
  HeadObject: { handled: readMembers, refused: {} },
  DeleteObject: {
    handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner],
    refused: {
      ...mfa,
      ...bypass,
      IfMatch: "if-match",
      IfMatchLastModifiedTime: "x-amz-if-match-last-modified-time",
      IfMatchSize: "x-amz-if-match-size",
    },
  },
  CreateMultipartUpload: {
    handled: ["Bucket", "Key", ...systemHeaders, ...newObject, "ChecksumAlgorithm", "ChecksumType"],
    refused: eventHolds,
  },
  UploadPart: {
    handled: [
      "Bucket",
      "Key",
      "PartNumber",
      "UploadId",
      "Body",
      "ContentLength",
      "ContentMD5",
      "ChecksumAlgorithm",
      ...checksumValues,
      ...sseC,
      "RequestPayer",
      ...owner,
    ],
    refused: newerChecksums,
  },
  UploadPartCopy: {
    handled: [
      "Bucket",
      "Key",
      "CopySource",
      "PartNumber",
      "UploadId",
      ...copySourceConditions,
      "CopySourceRange",
      ...sseC,
      ...copySourceSseC,
      "RequestPayer",
      ...owner,
      "ExpectedSourceBucketOwner",
    ],
    refused: {},
  },
  CompleteMultipartUpload: {
    handled: [
      "Bucket",
      "Key",
      "UploadId",
      "MultipartUpload",
      ...checksumValues,
      "ChecksumType",
      "RequestPayer",
      ...owner,
      "IfMatch",
      "IfNoneMatch",
      ...sseC,
    ],
    refused: { ...newerChecksums, MpuObjectSize: "x-amz-mp-object-size" },
  },
  AbortMultipartUpload: {
    handled: ["Bucket", "Key", "UploadId", "RequestPayer", ...owner],
    refused: { IfMatchInitiatedTime: "x-amz-if-match-initiated-time" },
  },
  ListParts: {
    handled: ["Bucket", "Key", "UploadId", "MaxParts", "PartNumberMarker", "RequestPayer", ...owner, ...sseC],
    refused: {},
  },
  PutBucketCors: configurationPut("CORSConfiguration"),
  GetBucketCors: bucketOnly,
  DeleteBucketCors: bucketOnly,
  PutBucketTagging: configurationPut("Tagging"),
  GetBucketTagging: bucketOnly,
  DeleteBucketTagging: bucketOnly,
  PutBucketPolicy: {
    ...configurationPut("Policy"),
    refused: { ConfirmRemoveSelfBucketAccess: "x-amz-confirm-remove-self-bucket-access" },
  },
  GetBucketPolicy: bucketOnly,
  DeleteBucketPolicy: bucketOnly,
  PutBucketOwnershipControls: configurationPut("OwnershipControls"),
  GetBucketOwnershipControls: bucketOnly,
  DeleteBucketOwnershipControls: bucketOnly,
  PutBucketLifecycleConfiguration: {
    handled: ["Bucket", "LifecycleConfiguration", "ChecksumAlgorithm", ...owner],
    refused: { TransitionDefaultMinimumObjectSize: "x-amz-transition-default-minimum-object-size" },
  },
  GetBucketLifecycleConfiguration: bucketOnly,
  DeleteBucketLifecycle: bucketOnly,
  PutObjectTagging: {
    handled: [
      "Bucket",
      "Key",
      "Tagging",
      "VersionId",
      "ContentMD5",
      "ChecksumAlgorithm",
      "RequestPayer",
      ...owner,
    ],
    refused: {},
  },
  GetObjectTagging: { handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner], refused: {} },
  DeleteObjectTagging: { handled: ["Bucket", "Key", "VersionId", ...owner], refused: {} },
  GetObjectAttributes: {
    handled: ["Bucket", "Key", "ObjectAttributes", "VersionId", ...sseC, "RequestPayer", ...owner],
    refused: { MaxParts: "x-amz-max-parts", PartNumberMarker: "x-amz-part-number-marker" },
  },
  GetBucketAcl: bucketOnly,
  PutBucketAcl: { handled: ["Bucket", ...aclPut], refused: {} },
  GetObjectAcl: { handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner], refused: {} },
  PutObjectAcl: { handled: ["Bucket", "Key", ...aclPut, "RequestPayer", "VersionId"], refused: {} },
};

/** Refuses a request carrying a member its operation does not serve (501 NotImplemented naming it). */
export function refuseUnservedMembers(
  name: OperationName,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): void {
  const refused = s3OperationMembers[name]?.refused ?? {};
  for (const [member, wire] of Object.entries(refused)) {
    const present = wire.startsWith("?") ? query.has(wire.slice(1)) : headers[wire] !== undefined;
    if (present) throw notImplemented(`${wire.startsWith("?") ? wire : `header ${wire}`} (${member})`);
  }
}

/**
 * `x-amz-expected-bucket-owner` / `x-amz-source-expected-bucket-owner`: S3 answers 403 AccessDenied when the
 * bucket's owner is another account. Every bucket here is the engine's account's.
 */
export function assertExpectedOwners(headers: IncomingHttpHeaders, accountId: string): void {
  for (const name of ["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"]) {
    const expected = headers[name];
    if (expected !== undefined && String(expected).trim() !== accountId)
      throw new S3Error(403, "AccessDenied", "Access Denied");
  }
}
