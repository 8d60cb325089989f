import type { IncomingHttpHeaders } from "node:http";
import { headerValue } from "../headers.ts";
import { effectiveOwnership } from "./acl.ts";
import { stripAwsChunkedEncoding } from "./aws-chunked.ts";
import { checksumHeader } from "./checksums.ts";
import { invalidArgument, notImplemented, S3Error } from "./errors.ts";
import { customerKeyHeaders, customerKeyMd5, refuseKms } from "./sse.ts";
import type {
  BucketConfiguration,
  ObjectAttributes,
  ObjectRecord,
  StoredChecksum,
} from "./storage/records.ts";

/** Content-Type S3 records when a PUT sends none. */
const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

const storageClasses = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "OUTPOSTS",
  "GLACIER_IR",
  "SNOW",
  "EXPRESS_ONEZONE",
]);

/**
 * The stored attributes of a new object from its PUT / CreateMultipartUpload / CopyObject(REPLACE) headers:
 * system headers, `x-amz-meta-*`, and server-side encryption (requested, or the bucket default).
 */
export function attributesFromRequest(
  headers: IncomingHttpHeaders,
  bucket: BucketConfiguration,
): ObjectAttributes {
  const attributes: ObjectAttributes = {
    contentType: headerValue(headers, "content-type") || DEFAULT_CONTENT_TYPE,
    metadata: metadataFromHeaders(headers),
  };
  const optional: Array<[keyof ObjectAttributes, string | undefined]> = [
    ["cacheControl", headerValue(headers, "cache-control")],
    ["contentDisposition", headerValue(headers, "content-disposition")],
    ["contentEncoding", stripAwsChunkedEncoding(headerValue(headers, "content-encoding"))],
    ["contentLanguage", headerValue(headers, "content-language")],
    ["expires", headerValue(headers, "expires")],
    ["websiteRedirectLocation", headerValue(headers, "x-amz-website-redirect-location")],
  ];
  for (const [name, value] of optional) if (value !== undefined) (attributes[name] as string) = value;
  Object.assign(attributes, storageAndEncryption(headers, bucket));
  const tagging = headerValue(headers, "x-amz-tagging");
  if (tagging !== undefined) attributes.tags = parseTagging(tagging);
  // Checked by assertAclAllowed first; under BucketOwnerEnforced the owner's full control is all there is.
  const acl = headerValue(headers, "x-amz-acl")?.trim();
  if (acl !== undefined && effectiveOwnership(bucket) !== "BucketOwnerEnforced") attributes.acl = acl;
  return attributes;
}

/**
 * `x-amz-tagging` (URL query form, `a=1&b=2`) as a tag set, with S3's limits: at most 10 tags, keys up to
 * 128 and values up to 256 characters, no duplicate keys.
 */
export function parseTagging(value: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, tagValue] of new URLSearchParams(value)) {
    if (key in tags)
      throw invalidArgument("Cannot provide multiple Tags with the same key", "x-amz-tagging", value);
    tags[key] = tagValue;
  }
  validateTags(tags);
  return tags;
}

/**
 * S3's tag-set limits, answered `InvalidTag` as S3 does: 10 tags an object (`x-amz-tagging`, PutObjectTagging),
 * 50 a bucket (PutBucketTagging: "A tag set can contain as many as 50 tags"), keys 1–128 and values 0–256
 * characters.
 */
export function validateTags(tags: Record<string, string>, limit: 10 | 50 = 10): void {
  const entries = Object.entries(tags);
  if (entries.length > limit)
    throw new S3Error(
      400,
      "InvalidTag",
      `${limit === 10 ? "Object" : "Bucket"} tags cannot be greater than ${limit}`,
    );
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 128)
      throw new S3Error(400, "InvalidTag", "The TagKey you have provided is invalid", { TagKey: key });
    if (value.length > 256)
      throw new S3Error(400, "InvalidTag", "The TagValue you have provided is invalid", { TagKey: key });
  }
}

/** Headers that only mean something with SSE-KMS, which the engine refuses: never stored and ignored. */
const kmsOnlyHeaders = [
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-context",
  "x-amz-server-side-encryption-bucket-key-enabled",
];

function refuseKmsOnlyHeaders(headers: IncomingHttpHeaders): void {
  const given = kmsOnlyHeaders.find((name) => headers[name] !== undefined);
  if (given === undefined) return;
  throw invalidArgument(
    `${given} applies only with x-amz-server-side-encryption: aws:kms, and the engine has no KMS (use AES256 or SSE-C)`,
    given,
    headerValue(headers, given) ?? "",
  );
}

/** Object Lock is not emulated: a write asking for a retention or legal hold is refused, not stored unenforced. */
const objectLockHeaders = [
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-lock-legal-hold",
];

function refuseObjectLockHeaders(headers: IncomingHttpHeaders): void {
  const given = objectLockHeaders.find((name) => headers[name] !== undefined);
  if (given !== undefined)
    throw notImplemented(`Object Lock (${given}); the engine does not emulate Object Lock`);
}

/** Storage class and encryption from headers, falling back to the bucket's default encryption. */
export function storageAndEncryption(
  headers: IncomingHttpHeaders,
  bucket: BucketConfiguration,
): Pick<ObjectAttributes, "storageClass" | "serverSideEncryption" | "sseKmsKeyId" | "sseCustomerKeyMd5"> {
  const result: Pick<
    ObjectAttributes,
    "storageClass" | "serverSideEncryption" | "sseKmsKeyId" | "sseCustomerKeyMd5"
  > = {};
  refuseObjectLockHeaders(headers);
  const storageClass = headerValue(headers, "x-amz-storage-class");
  if (storageClass !== undefined) {
    if (!storageClasses.has(storageClass)) {
      throw invalidArgument(
        "The storage class you specified is not valid",
        "x-amz-storage-class",
        storageClass,
      );
    }
    if (storageClass !== "STANDARD") result.storageClass = storageClass;
  }
  const requested = headerValue(headers, "x-amz-server-side-encryption");
  const customerKey = customerKeyMd5(headers);
  if (customerKey !== undefined) {
    if (requested !== undefined) {
      throw invalidArgument(
        "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
        "x-amz-server-side-encryption",
        requested,
      );
    }
    // SSE-C replaces the bucket default: the object is protected by the customer's key only.
    result.sseCustomerKeyMd5 = customerKey;
    return result;
  }
  if (requested !== undefined) {
    if (requested !== "AES256" && requested !== "aws:kms" && requested !== "aws:kms:dsse") {
      throw invalidArgument(
        "The encryption method specified is not supported",
        "x-amz-server-side-encryption",
        requested,
      );
    }
    if (requested !== "AES256") refuseKms(requested);
    refuseKmsOnlyHeaders(headers);
    result.serverSideEncryption = requested;
  } else {
    refuseKmsOnlyHeaders(headers);
    const rule = bucket.encryption?.[0];
    if (rule) {
      result.serverSideEncryption = rule.sseAlgorithm;
      if (rule.kmsMasterKeyId !== undefined) result.sseKmsKeyId = rule.kmsMasterKeyId;
    }
  }
  return result;
}

function metadataFromHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith("x-amz-meta-") || value === undefined) continue;
    metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
  }
  return metadata;
}

/** `x-amz-server-side-encryption` (and KMS key id) response headers of an object. */
export function encryptionHeaders(
  attributes: Pick<ObjectAttributes, "serverSideEncryption" | "sseKmsKeyId" | "sseCustomerKeyMd5">,
) {
  const headers: Record<string, string> = customerKeyHeaders(attributes);
  if (attributes.serverSideEncryption)
    headers["x-amz-server-side-encryption"] = attributes.serverSideEncryption;
  if (attributes.sseKmsKeyId) headers["x-amz-server-side-encryption-aws-kms-key-id"] = attributes.sseKmsKeyId;
  return headers;
}

/** Response headers naming a checksum (`x-amz-checksum-crc32` and `x-amz-checksum-type`). */
export function checksumHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumHeader(checksum.algorithm)]: checksum.value, "x-amz-checksum-type": checksum.type };
}

const httpDates = new Map<string, string>();

/**
 * RFC 7231 date, as S3 sends `Last-Modified`. Remembered per timestamp (a bounded map): parsing and formatting a
 * date was a tenth of a small GET's time in S3, and every read of an object asks for the same one.
 */
export function httpDate(iso: string): string {
  let formatted = httpDates.get(iso);
  if (formatted === undefined) {
    formatted = new Date(iso).toUTCString();
    if (httpDates.size >= 4096) httpDates.clear();
    httpDates.set(iso, formatted);
  }
  return formatted;
}

/** `response-*` query parameters that override GET/HEAD response headers. */
const responseOverrides: Array<[string, string]> = [
  ["response-content-type", "content-type"],
  ["response-content-language", "content-language"],
  ["response-expires", "expires"],
  ["response-cache-control", "cache-control"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
];

/**
 * The headers GET and HEAD return for an object. Checksums only when the client asked for them
 * (`x-amz-checksum-mode: ENABLED`) and the whole object is returned, as S3 does.
 */
export function objectResponseHeaders(
  object: ObjectRecord,
  options: { includeChecksum: boolean; query: URLSearchParams },
): Record<string, string> {
  const headers: Record<string, string> = {
    etag: `"${object.etag}"`,
    "last-modified": httpDate(object.lastModified),
    "content-type": object.contentType,
    "accept-ranges": "bytes",
  };
  if (object.cacheControl !== undefined) headers["cache-control"] = object.cacheControl;
  if (object.contentDisposition !== undefined) headers["content-disposition"] = object.contentDisposition;
  if (object.contentEncoding !== undefined) headers["content-encoding"] = object.contentEncoding;
  if (object.contentLanguage !== undefined) headers["content-language"] = object.contentLanguage;
  if (object.expires !== undefined) headers.expires = object.expires;
  if (object.websiteRedirectLocation !== undefined) {
    headers["x-amz-website-redirect-location"] = object.websiteRedirectLocation;
  }
  if (object.storageClass !== undefined) headers["x-amz-storage-class"] = object.storageClass;
  if (object.versionId !== undefined) headers["x-amz-version-id"] = object.versionId;
  const tagCount = Object.keys(object.tags ?? {}).length;
  if (tagCount > 0) headers["x-amz-tagging-count"] = String(tagCount);
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  Object.assign(headers, encryptionHeaders(object));
  if (options.includeChecksum) Object.assign(headers, checksumHeaders(object.checksum));
  for (const [parameter, name] of responseOverrides) {
    const value = options.query.get(parameter);
    if (value === null) continue;
    // Node refuses to send header values outside Latin-1; S3 would send them mangled, we reject them clearly.
    if (/[^\t\u0020-\u007e\u0080-\u00ff]/.test(value)) {
      throw invalidArgument(`Invalid value for ${parameter}`, parameter, value);
    }
    headers[name] = value;
  }
  // Stored content is the user's data, never the engine's page: a browser opening an object (an HTML file a
  // page stored) runs it in a sandbox with an opaque origin, and never sniffs a type it was not given.
  headers["content-security-policy"] = "sandbox";
  headers["x-content-type-options"] = "nosniff";
  return headers;
}
