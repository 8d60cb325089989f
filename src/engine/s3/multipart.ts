import { headerValue } from "../headers.ts";
import { assertAclAllowed } from "./access.ts";
import { assertKeyLength } from "./addressing.ts";
import {
  type ChecksumAlgorithm,
  checksumAlgorithms,
  checksumHeader,
  compositeChecksum,
  computeChecksum,
  md5Hex,
  multipartEtag,
  parseAlgorithm,
} from "./checksums.ts";
import { copySourceObject } from "./copy-object.ts";
import { invalidArgument, invalidRequest, malformedXml, noSuchUpload, S3Error } from "./errors.ts";
import { emitObjectCreated } from "./events.ts";
import { attributesFromRequest, encryptionHeaders } from "./object-headers.ts";
import {
  checksumElement,
  checkWritePreconditions,
  newOpaqueId,
  newVersionId,
  writtenVersionHeader,
} from "./objects.ts";
import { readPayload, storePayload, suppliedChecksum, withoutChecksumHeaders } from "./payload.ts";
import {
  emptyResponse,
  requireBucket,
  type S3Call,
  type S3Handler,
  type S3Runtime,
  xmlResponse,
} from "./runtime.ts";
import { s3MaxPutBytes } from "./section.ts";
import { assertCustomerKey, assertCustomerKeyIfPresented } from "./sse.ts";
import type {
  BlobSegment,
  ObjectRecord,
  PartRecord,
  StoredChecksum,
  UploadRecord,
} from "./storage/records.ts";
import type { UploadState } from "./storage/store.ts";
import { parseRequestXml, xmlChildren, xmlText } from "./xml.ts";

/** S3's minimum size for every part but the last. */
const MIN_PART_SIZE = 5 * 1024 * 1024;

/** The upload the request's `uploadId` names, or NoSuchUpload. */
export function requireUpload(runtime: S3Runtime, call: S3Call): UploadState {
  const uploadId = call.request.query.get("uploadId") ?? "";
  const upload = requireBucket(runtime, call.bucket).uploads.get(uploadId);
  if (!upload || upload.key !== call.key) throw noSuchUpload(uploadId);
  return upload;
}

function parsePartNumber(value: string | null): number {
  const number = Number(value);
  if (value === null || !/^\d+$/.test(value) || number < 1 || number > 10000) {
    throw invalidArgument(
      "Part number must be an integer between 1 and 10000, inclusive",
      "partNumber",
      value ?? "",
    );
  }
  return number;
}

/** CreateMultipartUpload: records the object's attributes and checksum algorithm for the parts to come. */
export const createMultipartUpload: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  const bucket = requireBucket(runtime, call.bucket);
  assertKeyLength(call.key);
  assertAclAllowed(headers, bucket.configuration);
  const upload: UploadRecord = {
    uploadId: newOpaqueId(),
    key: call.key,
    initiated: new Date().toISOString(),
    attributes: attributesFromRequest(headers, bucket.configuration),
    initiatorArn: call.request.caller.arn,
  };
  const algorithmName = headerValue(headers, "x-amz-checksum-algorithm");
  if (algorithmName !== undefined) {
    const algorithm = parseAlgorithm(algorithmName);
    if (!algorithm) throw invalidRequest(`Checksum algorithm provided is unsupported: ${algorithmName}`);
    upload.checksumAlgorithm = algorithm;
    const type = headerValue(headers, "x-amz-checksum-type")?.toUpperCase();
    if (type !== undefined && type !== "COMPOSITE" && type !== "FULL_OBJECT") {
      throw invalidRequest(`Value for x-amz-checksum-type header is invalid.`);
    }
    // CRC64NVME exists only as a full-object checksum; the others default to composite.
    upload.checksumType = type ?? (algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
    if (upload.checksumType === "FULL_OBJECT" && (algorithm === "SHA1" || algorithm === "SHA256")) {
      throw invalidRequest(
        `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`,
      );
    }
  }
  await runtime.store.commit({ t: "createUpload", bucket: call.bucket, upload });
  const responseHeaders: Record<string, string> = encryptionHeaders(upload.attributes);
  if (upload.checksumAlgorithm) {
    responseHeaders["x-amz-checksum-algorithm"] = upload.checksumAlgorithm;
    responseHeaders["x-amz-checksum-type"] = upload.checksumType ?? "COMPOSITE";
  }
  return xmlResponse(
    "InitiateMultipartUploadResult",
    { Bucket: call.bucket, Key: call.key, UploadId: upload.uploadId },
    responseHeaders,
  );
};

/** The part's checksum: as sent (it must use the upload's algorithm), or computed when the upload has one. */
function partChecksum(
  upload: UploadState,
  sent: StoredChecksum | undefined,
  computed: (algorithm: ChecksumAlgorithm) => string,
): StoredChecksum | undefined {
  const algorithm = upload.checksumAlgorithm;
  if (!algorithm) return sent;
  if (sent && sent.algorithm !== algorithm) {
    throw invalidRequest(
      `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${sent.algorithm.toLowerCase()}`,
    );
  }
  return sent ?? { algorithm, value: computed(algorithm), type: "FULL_OBJECT" };
}

/** Records a part whose bytes are already stored as `stored.segment` (released again if the upload is gone). */
async function storePart(
  runtime: S3Runtime,
  call: S3Call,
  upload: UploadState,
  stored: { segment: BlobSegment; size: number; md5: string; checksum?: StoredChecksum | undefined },
) {
  const partNumber = parsePartNumber(call.request.query.get("partNumber"));
  try {
    requireUpload(runtime, call);
  } catch (error) {
    runtime.store.blobs.release([stored.segment]);
    throw error;
  }
  const { segment, checksum } = stored;
  const part: PartRecord = {
    partNumber,
    size: stored.size,
    etag: stored.md5,
    lastModified: new Date().toISOString(),
    blob: [segment],
  };
  if (checksum) part.checksum = checksum;
  await runtime.store.commit({ t: "putPart", bucket: call.bucket, uploadId: upload.uploadId, part });
  return { upload, part };
}

/** UploadPart: plain or aws-chunked bodies, with the same integrity checks as PutObject. */
export const uploadPart: S3Handler = async (runtime, call) => {
  parsePartNumber(call.request.query.get("partNumber"));
  // The upload is checked before the body is read: a part for an unknown upload is refused unread.
  const upload = requireUpload(runtime, call);
  // Every part of an SSE-C upload carries the key the upload was created with.
  assertCustomerKey(upload.attributes, call.request.headers);
  const algorithm = upload.checksumAlgorithm;
  const payload = await storePayload(
    runtime.store.blobs,
    call.request.headers,
    call.request.bodyStream ?? call.request.body,
    { maxBytes: s3MaxPutBytes, ...(algorithm ? { alsoCompute: algorithm } : {}) },
  );
  let checksum: StoredChecksum | undefined;
  try {
    checksum = partChecksum(upload, payload.checksum, () => payload.extraChecksum as string);
  } catch (error) {
    runtime.store.blobs.release([payload.segment]);
    throw error;
  }
  const { part } = await storePart(runtime, call, upload, { ...payload, checksum });
  return emptyResponse(200, {
    etag: `"${part.etag}"`,
    ...encryptionHeaders(upload.attributes),
    ...(part.checksum ? { [checksumHeader(part.checksum.algorithm)]: part.checksum.value } : {}),
  });
};

/** UploadPartCopy: a part from (a byte range of) an existing object. */
export const uploadPartCopy: S3Handler = async (runtime, call) => {
  const source = copySourceObject(runtime, call);
  const rangeHeader = headerValue(call.request.headers, "x-amz-copy-source-range");
  let start = 0;
  let end = source.size - 1;
  if (rangeHeader !== undefined) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!match || Number(match[2]) < Number(match[1]) || Number(match[2]) >= source.size) {
      throw invalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        "x-amz-copy-source-range",
        rangeHeader,
      );
    }
    start = Number(match[1]);
    end = Number(match[2]);
  }
  const upload = requireUpload(runtime, call);
  assertCustomerKey(upload.attributes, call.request.headers);
  const data = await runtime.store.blobs.readAll(source.blob, start, end);
  const checksum = partChecksum(upload, undefined, (algorithm) => computeChecksum(algorithm, data));
  const segment = await runtime.store.blobs.write(data);
  const { part } = await storePart(runtime, call, upload, {
    segment,
    size: data.length,
    md5: md5Hex(data),
    checksum,
  });
  return xmlResponse(
    "CopyPartResult",
    { ETag: `"${part.etag}"`, LastModified: part.lastModified, ...checksumElement(part.checksum) },
    encryptionHeaders(upload.attributes),
  );
};

interface RequestedPart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

function parseCompleteRequest(body: Buffer): RequestedPart[] {
  const root = parseRequestXml(body).CompleteMultipartUpload;
  if (root === undefined) throw malformedXml();
  const parts = xmlChildren(root, "Part").map((node) => {
    const partNumber = Number(xmlText(node, "PartNumber")?.trim());
    const etag = (xmlText(node, "ETag") ?? "").trim().replace(/"/g, "");
    if (!Number.isInteger(partNumber)) throw malformedXml();
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const algorithm of checksumAlgorithms) {
      const value = xmlText(node, `Checksum${algorithm}`)?.trim();
      if (value) checksums[algorithm] = value;
    }
    return { partNumber, etag, checksums };
  });
  if (parts.length === 0) throw malformedXml();
  return parts;
}

const invalidPart = (partNumber: number) =>
  new S3Error(
    400,
    "InvalidPart",
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { PartNumber: String(partNumber) },
  );

/** Checks the requested parts against the upload, as S3 does, and returns the stored parts in order. */
function validateParts(upload: UploadState, requested: RequestedPart[]): PartRecord[] {
  // S3 rejects the order of the whole list before looking at any part.
  for (let index = 1; index < requested.length; index++) {
    if (
      (requested[index] as RequestedPart).partNumber <= (requested[index - 1] as RequestedPart).partNumber
    ) {
      throw new S3Error(
        400,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
      );
    }
  }
  return requested.map((wanted, index) => {
    const part = upload.parts.get(wanted.partNumber);
    if (!part || part.etag !== wanted.etag) throw invalidPart(wanted.partNumber);
    for (const [algorithm, value] of Object.entries(wanted.checksums)) {
      if (part.checksum && (part.checksum.algorithm !== algorithm || part.checksum.value !== value)) {
        throw invalidPart(wanted.partNumber);
      }
    }
    if (index < requested.length - 1 && part.size < MIN_PART_SIZE) {
      throw new S3Error(
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed object size.",
        {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(part.partNumber),
          ETag: part.etag,
        },
      );
    }
    return part;
  });
}

/** Completed uploads remembered per bucket for retried Completes (the oldest are forgotten first). */
const COMPLETED_UPLOADS_KEPT = 1000;

/**
 * Checks the whole-object checksum a Complete request names in its headers (`x-amz-checksum-crc32: …`, or
 * `…-N` for a composite of N parts) against the object being assembled, not against the XML body.
 */
async function verifyObjectChecksum(
  runtime: S3Runtime,
  supplied: { algorithm: ChecksumAlgorithm; value: string },
  parts: PartRecord[],
  computed: StoredChecksum | undefined,
): Promise<StoredChecksum> {
  const composite = /-\d+$/.test(supplied.value);
  let expected: StoredChecksum;
  if (
    computed &&
    computed.algorithm === supplied.algorithm &&
    (computed.type === "COMPOSITE") === composite
  ) {
    expected = computed;
  } else if (composite) {
    const partValues = parts.map((part) =>
      part.checksum?.algorithm === supplied.algorithm ? part.checksum.value : undefined,
    );
    if (partValues.some((value) => value === undefined)) {
      throw invalidRequest(
        `The upload's parts carry no ${supplied.algorithm.toLowerCase()} checksums, so a composite ${supplied.algorithm.toLowerCase()} checksum cannot be checked.`,
      );
    }
    expected = {
      algorithm: supplied.algorithm,
      value: compositeChecksum(supplied.algorithm, partValues as string[]),
      type: "COMPOSITE",
    };
  } else {
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    const data = await runtime.store.blobs.readAll(
      parts.flatMap((part) => part.blob),
      0,
      size - 1,
    );
    expected = {
      algorithm: supplied.algorithm,
      value: computeChecksum(supplied.algorithm, data),
      type: "FULL_OBJECT",
    };
  }
  if (expected.value !== supplied.value) {
    throw new S3Error(
      400,
      "BadDigest",
      `The ${supplied.algorithm} you specified did not match the calculated checksum.`,
    );
  }
  return expected;
}

/** CompleteMultipartUpload: the object takes over the listed parts' bytes (no copy); ETag `"<md5>-N"`. */
export const completeMultipartUpload: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  const uploadId = call.request.query.get("uploadId") ?? "";
  const done = requireBucket(runtime, call.bucket).completedUploads.get(uploadId);
  // A retried Complete (the client timed out on the first) gets the same answer, as on S3.
  if (done && done.key === call.key) return completeResult(runtime, call, done);
  // The checksum headers describe the object, not this XML body: readPayload must not check them.
  const requested = parseCompleteRequest(
    readPayload(withoutChecksumHeaders(headers), call.request.body).data,
  );
  const supplied = suppliedChecksum(headers);
  let upload = requireUpload(runtime, call);
  assertCustomerKeyIfPresented(upload.attributes, headers);
  let parts = validateParts(upload, requested);
  let checksum: StoredChecksum | undefined;
  const algorithm = upload.checksumAlgorithm;
  if (algorithm && upload.checksumType === "FULL_OBJECT") {
    const blob = parts.flatMap((part) => part.blob);
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    const data = await runtime.store.blobs.readAll(blob, 0, size - 1);
    checksum = { algorithm, value: computeChecksum(algorithm, data), type: "FULL_OBJECT" };
  } else if (algorithm && parts.every((part) => part.checksum?.algorithm === algorithm)) {
    checksum = {
      algorithm,
      value: compositeChecksum(
        algorithm,
        parts.map((part) => part.checksum?.value ?? ""),
      ),
      type: "COMPOSITE",
    };
  }
  if (supplied) {
    if (algorithm && supplied.algorithm !== algorithm) {
      throw invalidRequest(
        `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${supplied.algorithm.toLowerCase()}`,
      );
    }
    checksum = await verifyObjectChecksum(runtime, supplied, parts, checksum);
  }
  // Reading or verifying may have taken a while: the parts must still be the ones we summed.
  upload = requireUpload(runtime, call);
  parts = validateParts(upload, requested);
  const bucket = requireBucket(runtime, call.bucket);
  checkWritePreconditions(headers, bucket, call.key);
  const object: ObjectRecord = {
    ...upload.attributes,
    key: call.key,
    size: parts.reduce((sum, part) => sum + part.size, 0),
    etag: multipartEtag(parts.map((part) => part.etag)),
    lastModified: new Date().toISOString(),
    sequencer: runtime.sequencer.next(),
    partsCount: parts.length,
    blob: parts.flatMap((part) => part.blob),
  };
  if (checksum) object.checksum = checksum;
  if (algorithm && parts.every((part) => part.checksum?.algorithm === algorithm))
    object.partChecksums = parts.map((part) => part.checksum?.value ?? "");
  const versionId = newVersionId(bucket.configuration);
  if (versionId !== undefined) object.versionId = versionId;
  await runtime.store.commit({ t: "completeUpload", bucket: call.bucket, uploadId: upload.uploadId, object });
  const completed = requireBucket(runtime, call.bucket).completedUploads;
  if (completed.size > COMPLETED_UPLOADS_KEPT) {
    const oldest = completed.keys().next().value;
    if (oldest !== undefined) completed.delete(oldest);
  }
  emitObjectCreated(
    runtime.context,
    call.request,
    "ObjectCreated:CompleteMultipartUpload",
    call.bucket,
    object,
  );
  return completeResult(runtime, call, object);
};

function completeResult(runtime: S3Runtime, call: S3Call, object: ObjectRecord) {
  const responseHeaders: Record<string, string> = {
    ...encryptionHeaders(object),
    ...writtenVersionHeader(object),
  };
  const location = `${runtime.context.endpoint()}/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, "/")}`;
  return xmlResponse(
    "CompleteMultipartUploadResult",
    {
      Location: location,
      Bucket: call.bucket,
      Key: call.key,
      ETag: `"${object.etag}"`,
      ...checksumElement(object.checksum),
    },
    responseHeaders,
  );
}

export const abortMultipartUpload: S3Handler = async (runtime, call) => {
  const upload = requireUpload(runtime, call);
  await runtime.store.commit({ t: "abortUpload", bucket: call.bucket, uploadId: upload.uploadId });
  return emptyResponse();
};
