/**
 * The member lists S3's operation declarations share (bucket-operations.ts, object-operations.ts): every input
 * member of every operation the AWS SDK models, by the SDK's member name, is `handled` (read by the operation, or
 * by the S3 layer for all of them: `Bucket`/`Key` from the address, the body, `ExpectedBucketOwner`, `ContentMD5`
 * and `ChecksumAlgorithm` on configuration bodies, `RequestPayer`) or `refused`, with the header (lower-case) or
 * `?query` parameter it travels in: a request that carries one is answered 501 NotImplemented naming it, never
 * served as if it were absent. test/unit/member-coverage.test.ts reads the declarations against the SDK's own
 * request shapes and fails when a member is neither, or when a wire name is not the SDK's.
 */
export interface OperationMembers {
  readonly handled: readonly string[];
  readonly refused: Readonly<Record<string, string>>;
}

export const owner = ["ExpectedBucketOwner"];
/** A bucket configuration read or delete: the bucket and its expected owner. */
export const bucketOnly: OperationMembers = { handled: ["Bucket", ...owner], refused: {} };
/** A bucket configuration write: its XML body (verified against Content-MD5 / a flexible checksum). */
export const configurationPut = (body: string): OperationMembers => ({
  handled: ["Bucket", body, "ContentMD5", "ChecksumAlgorithm", ...owner],
  refused: {},
});

export const grants = ["GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"];
export const sseC = ["SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5"];
export const copySourceConditions = [
  "CopySourceIfMatch",
  "CopySourceIfModifiedSince",
  "CopySourceIfNoneMatch",
  "CopySourceIfUnmodifiedSince",
];
export const copySourceSseC = [
  "CopySourceSSECustomerAlgorithm",
  "CopySourceSSECustomerKey",
  "CopySourceSSECustomerKeyMD5",
];
export const checksumValues = [
  "ChecksumCRC32",
  "ChecksumCRC32C",
  "ChecksumCRC64NVME",
  "ChecksumSHA1",
  "ChecksumSHA256",
];
/** Checksum algorithms the SDK models that the engine does not compute: refused, not skipped. */
export const newerChecksums = {
  ChecksumSHA512: "x-amz-checksum-sha512",
  ChecksumMD5: "x-amz-checksum-md5",
  ChecksumXXHASH64: "x-amz-checksum-xxhash64",
  ChecksumXXHASH3: "x-amz-checksum-xxhash3",
  ChecksumXXHASH128: "x-amz-checksum-xxhash128",
};
export const systemHeaders = [
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
export const eventHolds = {
  ObjectLockEventHold: "x-amz-object-lock-event-hold",
  ObjectLockEventHoldDurationDays: "x-amz-object-lock-event-hold-duration-days",
  ObjectLockEventHoldDurationYears: "x-amz-object-lock-event-hold-duration-years",
};
/** What every new object's write takes besides its body and system headers: ACL, encryption, tags, lock. */
export const newObject = [
  "ACL",
  ...grants,
  ...encryption,
  "RequestPayer",
  "Tagging",
  ...objectLock,
  ...owner,
];
/** PutBucketAcl / PutObjectAcl: a canned ACL, grant headers or an AccessControlPolicy body (acl-operations.ts). */
export const aclPut = [
  "ACL",
  "AccessControlPolicy",
  "ContentMD5",
  "ChecksumAlgorithm",
  ...grants,
  "GrantWrite",
  ...owner,
];
export const optionalAttributes = { OptionalObjectAttributes: "x-amz-optional-object-attributes" };
export const mfa = { MFA: "x-amz-mfa" };
export const bypass = { BypassGovernanceRetention: "x-amz-bypass-governance-retention" };
export const readMembers = [
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
