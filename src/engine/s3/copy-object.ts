import type { IncomingHttpHeaders } from "node:http";
import { s3Arn } from "../arn.ts";
import { headerValue } from "../headers.ts";
import { assertAclAllowed, authorizeS3 } from "./access.ts";
import { effectiveOwnership } from "./acl.ts";
import { assertKeyLength, decodeKey } from "./addressing.ts";
import { type ChecksumAlgorithm, computeChecksum, md5Hex, parseAlgorithm } from "./checksums.ts";
import { invalidArgument, invalidRequest } from "./errors.ts";
import { emitObjectCreated } from "./events.ts";
import { attributesFromRequest, parseTagging, storageAndEncryption } from "./object-headers.ts";
import {
  checksumElement,
  checkWritePreconditions,
  findVersion,
  newVersionId,
  preconditionFailed,
  writeHeaders,
} from "./objects.ts";
import { evaluatePreconditions } from "./preconditions.ts";
import { requireBucket, type S3Call, type S3Handler, type S3Runtime, xmlResponse } from "./runtime.ts";
import { assertCustomerKey, COPY_SOURCE_SSE_C_PREFIX } from "./sse.ts";
import {
  type BucketConfiguration,
  isDeleteMarker,
  type ObjectAttributes,
  type ObjectRecord,
  type StoredChecksum,
} from "./storage/records.ts";

/**
 * CopyObject and the copy source it reads (`x-amz-copy-source`, which UploadPartCopy reads too): the source's
 * version, access, conditions and SSE-C key, and the attributes and checksum the copy gets.
 */

/** Parses `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, percent-encoded. */
function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const [path = "", query = ""] = value.split("?", 2);
  const trimmed = path.startsWith("/") ? path.slice(1) : path;
  const slash = trimmed.indexOf("/");
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw invalidArgument("Invalid copy source object key", "x-amz-copy-source", value);
  }
  const versionId = new URLSearchParams(query).get("versionId") ?? undefined;
  const source = { bucket: decodeKey(trimmed.slice(0, slash)), key: decodeKey(trimmed.slice(slash + 1)) };
  return versionId === undefined ? source : { ...source, versionId };
}

/** Resolves and authorizes the source of CopyObject / UploadPartCopy, applying `x-amz-copy-source-if-*`. */
export function copySourceObject(runtime: S3Runtime, call: S3Call): ObjectRecord {
  const headers = call.request.headers;
  const source = parseCopySource(headerValue(headers, "x-amz-copy-source") ?? "");
  const action = source.versionId === undefined ? "s3:GetObject" : "s3:GetObjectVersion";
  const sourceBucket = requireBucket(runtime, source.bucket);
  authorizeS3(
    runtime.context,
    call.request.caller,
    action,
    s3Arn(source.bucket, source.key),
    {},
    sourceBucket.configuration,
  );
  const named =
    source.versionId === undefined ? undefined : sourceBucket.version(source.key, source.versionId);
  if (named && isDeleteMarker(named)) {
    throw invalidRequest(
      "The source of a copy request may not specifically refer to a delete marker by version id.",
    );
  }
  const object = findVersion(sourceBucket, source.key, source.versionId);
  assertCustomerKey(object, headers, COPY_SOURCE_SSE_C_PREFIX);
  const outcome = evaluatePreconditions(
    {
      ifMatch: headerValue(headers, "x-amz-copy-source-if-match"),
      ifNoneMatch: headerValue(headers, "x-amz-copy-source-if-none-match"),
      ifModifiedSince: headerValue(headers, "x-amz-copy-source-if-modified-since"),
      ifUnmodifiedSince: headerValue(headers, "x-amz-copy-source-if-unmodified-since"),
    },
    object.etag,
    object.lastModified,
  );
  // For copies S3 answers every failed condition with 412, including the ones a GET would answer with 304.
  if (outcome !== "proceed") throw preconditionFailed("x-amz-copy-source-If");
  return object;
}

/** CopyObject: metadata directive COPY (default) or REPLACE; copying onto itself must change something. */
export const copyObject: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  const bucket = requireBucket(runtime, call.bucket);
  assertKeyLength(call.key);
  assertAclAllowed(headers, bucket.configuration);
  const sourceAddress = parseCopySource(headerValue(headers, "x-amz-copy-source") ?? "");
  const source = copySourceObject(runtime, call);
  const directive = (headerValue(headers, "x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw invalidArgument("Unknown metadata directive.", "MetadataDirective", directive);
  }
  const sameObject = sourceAddress.bucket === call.bucket && sourceAddress.key === call.key;
  const changesSomething =
    directive === "REPLACE" ||
    headers["x-amz-storage-class"] !== undefined ||
    headers["x-amz-server-side-encryption"] !== undefined ||
    headers["x-amz-website-redirect-location"] !== undefined ||
    bucket.configuration.versioning === "Enabled";
  if (sameObject && !changesSomething) {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const attributes =
    directive === "REPLACE"
      ? attributesFromRequest(headers, bucket.configuration)
      : copiedAttributes(source, headers, bucket.configuration);
  // A copy is a new object: its ACL is this request's (default private), never the source's.
  const acl = headerValue(headers, "x-amz-acl")?.trim();
  if (acl !== undefined && effectiveOwnership(bucket.configuration) !== "BucketOwnerEnforced")
    attributes.acl = acl;
  else delete attributes.acl;
  const tagging = (headerValue(headers, "x-amz-tagging-directive") ?? "COPY").toUpperCase();
  if (tagging === "REPLACE") {
    const value = headerValue(headers, "x-amz-tagging");
    if (value === undefined) delete attributes.tags;
    else attributes.tags = parseTagging(value);
  } else if (source.tags !== undefined) {
    attributes.tags = { ...source.tags };
  } else {
    delete attributes.tags;
  }
  const data = await runtime.store.blobs.readAll(source.blob, 0, source.size - 1);
  const checksum = copiedChecksum(source, headerValue(headers, "x-amz-checksum-algorithm"), data);
  const segment = await runtime.store.blobs.write(data);
  const current = requireBucket(runtime, call.bucket);
  checkWritePreconditions(headers, current, call.key);
  const object: ObjectRecord = {
    ...attributes,
    key: call.key,
    size: data.length,
    etag: md5Hex(data),
    lastModified: new Date().toISOString(),
    sequencer: runtime.sequencer.next(),
    blob: [segment],
  };
  if (checksum) object.checksum = checksum;
  const versionId = newVersionId(current.configuration);
  if (versionId !== undefined) object.versionId = versionId;
  await runtime.store.commit({ t: "putObject", bucket: call.bucket, object });
  emitObjectCreated(runtime.context, call.request, "ObjectCreated:Copy", call.bucket, object);
  const responseHeaders = writeHeaders(object);
  delete responseHeaders.etag;
  if (sourceAddress.versionId !== undefined || source.versionId !== undefined)
    responseHeaders["x-amz-copy-source-version-id"] = source.versionId ?? "null";
  return xmlResponse(
    "CopyObjectResult",
    { ETag: `"${object.etag}"`, LastModified: object.lastModified, ...checksumElement(checksum) },
    responseHeaders,
  );
};

/** With COPY, the source's attributes travel, but storage class and encryption follow this request. */
function copiedAttributes(source: ObjectRecord, headers: IncomingHttpHeaders, bucket: BucketConfiguration) {
  const {
    key: _key,
    size: _size,
    etag: _etag,
    lastModified: _lastModified,
    checksum: _checksum,
    versionId: _versionId,
    sequencer: _sequencer,
    partsCount: _partsCount,
    blob: _blob,
    storageClass: _storageClass,
    serverSideEncryption: _sse,
    sseKmsKeyId: _kms,
    sseCustomerKeyMd5: _customerKey,
    tags: _tags,
    ...attributes
  } = source;
  const copied: ObjectAttributes = {
    ...attributes,
    metadata: { ...source.metadata },
    ...storageAndEncryption(headers, bucket),
  };
  return copied;
}

/** A copy keeps the source's checksum algorithm (recomputed over the whole object), or uses the requested one. */
function copiedChecksum(
  source: ObjectRecord,
  requested: string | undefined,
  data: Buffer,
): StoredChecksum | undefined {
  let algorithm: ChecksumAlgorithm | undefined = source.checksum?.algorithm;
  if (requested !== undefined) {
    algorithm = parseAlgorithm(requested);
    if (!algorithm) throw invalidRequest(`Checksum algorithm provided is unsupported: ${requested}`);
  }
  if (!algorithm) return undefined;
  if (source.checksum?.type === "FULL_OBJECT" && source.checksum.algorithm === algorithm)
    return source.checksum;
  return { algorithm, value: computeChecksum(algorithm, data), type: "FULL_OBJECT" };
}
