import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { s3Arn } from "../arn.ts";
import { headerValue } from "../headers.ts";
import type { ServiceResponse } from "../types.ts";
import { assertAclAllowed, authorizeS3 } from "./access.ts";
import { assertKeyLength } from "./addressing.ts";
import { invalidArgument, malformedXml, noSuchKey, S3Error } from "./errors.ts";
import { emitObjectCreated } from "./events.ts";
import {
  attributesFromRequest,
  checksumHeaders,
  encryptionHeaders,
  httpDate,
  objectResponseHeaders,
} from "./object-headers.ts";
import { readPayload, type StoredPayload, storePayload } from "./payload.ts";
import { evaluatePreconditions } from "./preconditions.ts";
import { parseRange } from "./range.ts";
import {
  emptyResponse,
  requireBucket,
  type S3Call,
  type S3Handler,
  type S3Runtime,
  xmlResponse,
} from "./runtime.ts";
import { s3MaxPutBytes } from "./section.ts";
import { assertCustomerKey } from "./sse.ts";
import {
  type BucketConfiguration,
  type DeleteMarkerRecord,
  isDeleteMarker,
  type JournalRecord,
  type ObjectAttributes,
  type ObjectRecord,
  type StoredChecksum,
} from "./storage/records.ts";
import type { BucketState } from "./storage/store.ts";
import { parseRequestXml, xmlChildren, xmlText } from "./xml.ts";

/**
 * A new opaque id (a version id, an upload id): 24 random bytes in base64url with `-` written as `.`, so an id
 * never begins with `-`: the AWS CLI reads `--version-id -abc...` or `--upload-id -abc...` as an option and fails
 * ("argument --version-id: expected one argument"), which one id in 64 did.
 */
export function newOpaqueId(): string {
  return randomBytes(24).toString("base64url").replaceAll("-", ".");
}

/** A new version id when versioning is enabled, `null` when suspended, none when never enabled. */
export function newVersionId(configuration: BucketConfiguration): string | undefined {
  if (configuration.versioning === "Enabled") return newOpaqueId();
  if (configuration.versioning === "Suspended") return "null";
  return undefined;
}

/** S3's 412 for a failed `If-*` condition. */
export const preconditionFailed = (condition: string) =>
  new S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
    Condition: condition,
  });

/** Conditional writes (`If-None-Match: *`, `If-Match`), checked right before the write is applied. */
export function checkWritePreconditions(
  headers: IncomingHttpHeaders,
  bucket: BucketState,
  key: string,
): void {
  const existing = bucket.objects.get(key);
  const ifNoneMatch = headerValue(headers, "if-none-match");
  if (ifNoneMatch !== undefined && existing) throw preconditionFailed("If-None-Match");
  const ifMatch = headerValue(headers, "if-match");
  if (ifMatch !== undefined) {
    if (!existing) throw noSuchKey(key);
    if (ifMatch.replace(/"/g, "").trim() !== existing.etag && ifMatch.trim() !== "*")
      throw preconditionFailed("If-Match");
  }
}

/**
 * The version id a write answers with: a versioned write's id; none for a write into an unversioned bucket, and
 * none for the `null` version a versioning-suspended bucket stores (S3 sends no `x-amz-version-id` there).
 */
export function writtenVersionHeader(object: ObjectRecord): Record<string, string> {
  return object.versionId === undefined || object.versionId === "null"
    ? {}
    : { "x-amz-version-id": object.versionId };
}

/** Response headers for a successful write (PUT, copy, complete). */
export function writeHeaders(object: ObjectRecord): Record<string, string> {
  return { etag: `"${object.etag}"`, ...encryptionHeaders(object), ...writtenVersionHeader(object) };
}

/** PutObject: stores the body durably, then announces it (ObjectCreated:Put). */
export const putObject: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  // Bucket, key and attributes are checked from the headers; only then is the body read, straight to the store.
  const bucket = requireBucket(runtime, call.bucket);
  assertKeyLength(call.key);
  assertAclAllowed(headers, bucket.configuration);
  const attributes = attributesFromRequest(headers, bucket.configuration);
  const payload = await storePayload(
    runtime.store.blobs,
    headers,
    call.request.bodyStream ?? call.request.body,
    { maxBytes: s3MaxPutBytes },
  );
  const object = await writeObject(runtime, call, payload, attributes, "ObjectCreated:Put");
  return emptyResponse(200, { ...writeHeaders(object), ...checksumHeaders(object.checksum) });
};

/**
 * Stores a new object (or version) whose bytes are already in the blob store: the journal record once the
 * write preconditions still hold (else the bytes are released), then the event. Shared by PutObject and
 * browser-form POST uploads.
 */
export async function writeObject(
  runtime: S3Runtime,
  call: S3Call,
  payload: Pick<StoredPayload, "segment" | "size" | "md5" | "checksum">,
  attributes: ObjectAttributes,
  eventName: "ObjectCreated:Put" | "ObjectCreated:Post",
): Promise<ObjectRecord> {
  const segment = payload.segment;
  let current: BucketState;
  try {
    current = requireBucket(runtime, call.bucket);
    checkWritePreconditions(call.request.headers, current, call.key);
  } catch (error) {
    runtime.store.blobs.release([segment]);
    throw error;
  }
  const object: ObjectRecord = {
    ...attributes,
    key: call.key,
    size: payload.size,
    etag: payload.md5,
    lastModified: new Date().toISOString(),
    sequencer: runtime.sequencer.next(),
    blob: [segment],
  };
  if (payload.checksum) object.checksum = payload.checksum;
  const versionId = newVersionId(current.configuration);
  if (versionId !== undefined) object.versionId = versionId;
  await runtime.store.commit({ t: "putObject", bucket: call.bucket, object });
  emitObjectCreated(runtime.context, call.request, eventName, call.bucket, object);
  return object;
}

const noSuchVersion = (key: string, versionId: string) =>
  new S3Error(404, "NoSuchVersion", "The specified version does not exist.", {
    Key: key,
    VersionId: versionId,
  });

/**
 * The object a read names: the current version, or `versionId` from the key's history. A key whose latest
 * version is a delete marker is NoSuchKey with `x-amz-delete-marker`; naming a marker's id is 405, as on S3.
 */
export function findVersion(bucket: BucketState, key: string, versionId: string | undefined): ObjectRecord {
  if (versionId === undefined) {
    const object = bucket.objects.get(key);
    if (object) return object;
    const error = noSuchKey(key);
    const latest = bucket.versions.get(key)?.[0];
    if (latest)
      error.headers = { "x-amz-delete-marker": "true", "x-amz-version-id": latest.versionId ?? "null" };
    throw error;
  }
  const entry = bucket.version(key, versionId);
  if (!entry) throw noSuchVersion(key, versionId);
  if (isDeleteMarker(entry)) {
    const error = new S3Error(
      405,
      "MethodNotAllowed",
      "The specified method is not allowed against this resource.",
      {
        Method: "GET",
        ResourceType: "DeleteMarker",
      },
    );
    error.headers = { "x-amz-delete-marker": "true", "x-amz-version-id": entry.versionId, allow: "DELETE" };
    throw error;
  }
  return entry;
}

/** Reads the requested version (current, or `?versionId=`). */
function requireVersion(runtime: S3Runtime, call: S3Call): ObjectRecord {
  const versionId = call.request.query.get("versionId") ?? undefined;
  return findVersion(requireBucket(runtime, call.bucket), call.key, versionId);
}

/** GetObject and HeadObject: conditional headers, Range / partNumber, response-* overrides. */
async function readObject(runtime: S3Runtime, call: S3Call, withBody: boolean): Promise<ServiceResponse> {
  const { headers, query } = call.request;
  const object = requireVersion(runtime, call);
  if (headers["x-amz-server-side-encryption"] !== undefined) {
    // S3 decrypts by itself; the header belongs to writes, and a read that sends it is refused.
    throw invalidArgument(
      "x-amz-server-side-encryption header is not supported for this operation.",
      "x-amz-server-side-encryption",
      headerValue(headers, "x-amz-server-side-encryption"),
    );
  }
  assertCustomerKey(object, headers);
  const outcome = evaluatePreconditions(
    {
      ifMatch: headerValue(headers, "if-match"),
      ifNoneMatch: headerValue(headers, "if-none-match"),
      ifModifiedSince: headerValue(headers, "if-modified-since"),
      ifUnmodifiedSince: headerValue(headers, "if-unmodified-since"),
    },
    object.etag,
    object.lastModified,
  );
  if (outcome === "failed")
    throw preconditionFailed(headerValue(headers, "if-match") ? "If-Match" : "If-Unmodified-Since");
  if (outcome === "not-modified") {
    return emptyResponse(304, { etag: `"${object.etag}"`, "last-modified": httpDate(object.lastModified) });
  }
  const partNumber = query.get("partNumber");
  let start = 0;
  let end = object.size - 1;
  let partial = false;
  const extra: Record<string, string> = {};
  if (partNumber !== null) {
    const range = partRange(object, partNumber);
    ({ start, end } = range);
    partial = true;
    extra["x-amz-mp-parts-count"] = String(object.partsCount ?? 1);
    // A part read answers that part's checksum (S3's ObjectPart checksum), when asked with checksum mode.
    const partChecksum = object.partChecksums?.[Number(partNumber) - 1];
    if (partChecksum && object.checksum && checksumModeEnabled(headers))
      Object.assign(extra, checksumHeaders({ ...object.checksum, value: partChecksum }));
  } else {
    const range = parseRange(headerValue(headers, "range"), object.size);
    if (range.kind === "unsatisfiable") {
      throw new S3Error(416, "InvalidRange", "The requested range is not satisfiable", {
        RangeRequested: headerValue(headers, "range") ?? "",
        ActualObjectSize: String(object.size),
      });
    }
    if (range.kind === "range") {
      ({ start, end } = range.range);
      partial = true;
    }
  }
  const includeChecksum = !partial && checksumModeEnabled(headers);
  // Written into the object objectResponseHeaders made, not a spread copy: on Node 20 a property added to a
  // spread's result costs about 2 µs (docs/benchmarks.md, sixth session).
  const responseHeaders = Object.assign(objectResponseHeaders(object, { includeChecksum, query }), extra);
  const length = Math.max(0, end - start + 1);
  responseHeaders["content-length"] = String(length);
  if (partial) responseHeaders["content-range"] = `bytes ${start}-${end}/${object.size}`;
  const status = partial ? 206 : 200;
  if (!withBody || length === 0)
    return { status, headers: responseHeaders, body: withBody ? Buffer.alloc(0) : undefined };
  return { status, headers: responseHeaders, body: await runtime.store.blobs.read(object.blob, start, end) };
}

const checksumModeEnabled = (headers: IncomingHttpHeaders) =>
  headerValue(headers, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED";

/** The byte range of part `partNumber` of an object; single-part objects have only part 1. */
function partRange(object: ObjectRecord, partNumber: string): { start: number; end: number } {
  const number = Number(partNumber);
  const parts = object.partsCount === undefined ? [{ size: object.size }] : object.blob;
  if (!Number.isInteger(number) || number < 1 || number > 10000) {
    throw invalidArgument(
      "Part number must be an integer between 1 and 10000, inclusive",
      "partNumber",
      partNumber,
    );
  }
  if (number > parts.length) {
    throw new S3Error(416, "InvalidPartNumber", "The requested partnumber is not satisfiable", {
      PartNumberRequested: partNumber,
      ActualPartCount: String(parts.length),
    });
  }
  let start = 0;
  for (let index = 0; index < number - 1; index++) start += (parts[index] as { size: number }).size;
  return { start, end: start + (parts[number - 1] as { size: number }).size - 1 };
}

export const getObject: S3Handler = (runtime, call) => readObject(runtime, call, true);
export const headObject: S3Handler = (runtime, call) => readObject(runtime, call, false);

/** What one delete did, as DeleteObject headers and DeleteObjects elements report it. */
interface DeleteOutcome {
  versionId?: string;
  deleteMarker?: boolean;
  deleteMarkerVersionId?: string;
}

/**
 * Plans one delete as S3 does: `versionId` removes that version for good; otherwise an unversioned bucket
 * removes the key and a versioned one adds a delete marker (`null` while versioning is suspended).
 */
function planDelete(
  bucket: BucketState,
  key: string,
  versionId: string | undefined,
): { record?: JournalRecord; outcome: DeleteOutcome } {
  if (versionId !== undefined) {
    const entry = bucket.version(key, versionId);
    const outcome: DeleteOutcome = { versionId };
    if (!entry) return { outcome };
    if (isDeleteMarker(entry)) {
      outcome.deleteMarker = true;
      outcome.deleteMarkerVersionId = versionId;
    }
    return { record: { t: "deleteVersion", bucket: bucket.name, key, versionId }, outcome };
  }
  const markerId = newVersionId(bucket.configuration);
  if (markerId === undefined) {
    if (!bucket.versions.has(key)) return { outcome: {} };
    return { record: { t: "deleteObject", bucket: bucket.name, key }, outcome: {} };
  }
  const marker: DeleteMarkerRecord = {
    key,
    versionId: markerId,
    lastModified: new Date().toISOString(),
    deleteMarker: true,
  };
  return {
    record: { t: "deleteObject", bucket: bucket.name, key, marker },
    outcome: { deleteMarker: true, deleteMarkerVersionId: markerId },
  };
}

/** DeleteObject: 204 whether or not the key existed; `?versionId=` deletes one version. */
export const deleteObject: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const { record, outcome } = planDelete(bucket, call.key, call.request.query.get("versionId") ?? undefined);
  if (record) await runtime.store.commit(record);
  const headers: Record<string, string> = {};
  if (outcome.deleteMarker) headers["x-amz-delete-marker"] = "true";
  const versionId = outcome.deleteMarkerVersionId ?? outcome.versionId;
  if (versionId !== undefined) headers["x-amz-version-id"] = versionId;
  return emptyResponse(204, headers);
};

/** DeleteObjects: up to 1,000 keys (and versions); per-key authorization; `Quiet` reports errors only. */
export const deleteObjects: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  const { data } = readPayload(call.request.headers, call.request.body);
  const root = parseRequestXml(data).Delete;
  if (root === undefined) throw malformedXml();
  const quiet = xmlText(root, "Quiet")?.trim().toLowerCase() === "true";
  const objects = xmlChildren(root, "Object").map((node) => ({
    key: xmlText(node, "Key") ?? "",
    versionId: xmlText(node, "VersionId"),
  }));
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const deleted: Array<Record<string, string | boolean | undefined>> = [];
  const errors: Array<Record<string, string | undefined>> = [];
  const pending: Array<Promise<void> | undefined> = [];
  for (const { key, versionId } of objects) {
    try {
      const action = versionId === undefined ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
      const bucket = requireBucket(runtime, call.bucket);
      authorizeS3(
        runtime.context,
        call.request.caller,
        action,
        s3Arn(call.bucket, key),
        versionId === undefined ? {} : { "s3:VersionId": versionId },
        bucket.configuration,
      );
      const { record, outcome } = planDelete(bucket, key, versionId);
      if (record) pending.push(runtime.store.commit(record));
      if (!quiet) {
        deleted.push({
          Key: key,
          VersionId: versionId,
          DeleteMarker: outcome.deleteMarker,
          DeleteMarkerVersionId: outcome.deleteMarkerVersionId,
        });
      }
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      errors.push({ Key: key, VersionId: versionId, Code: error.code, Message: error.message });
    }
  }
  await Promise.all(pending);
  return xmlResponse("DeleteResult", { Deleted: deleted, Error: errors });
};

/** `<ChecksumCRC32>…</ChecksumCRC32><ChecksumType>…</ChecksumType>` for result documents. */
export function checksumElement(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [`Checksum${checksum.algorithm}`]: checksum.value, ChecksumType: checksum.type };
}
