import { invalidArgument } from "./errors.ts";
import { requireUpload } from "./multipart.ts";
import { OWNER, requireBucket, type S3Handler, xmlResponse } from "./runtime.ts";
import { assertCustomerKeyIfPresented } from "./sse.ts";
import type { StoredChecksum } from "./storage/records.ts";
import type { XmlObject } from "./xml.ts";

/** ListParts and ListMultipartUploads: what a multipart upload holds so far, and which uploads are open. */

function boundedInteger(value: string | null, fallback: number, name: string): number {
  if (value === null) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value))
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(number, 1000);
}

/** ListParts with `max-parts` / `part-number-marker` paging. */
export const listParts: S3Handler = async (runtime, call) => {
  const upload = requireUpload(runtime, call);
  assertCustomerKeyIfPresented(upload.attributes, call.request.headers);
  const query = call.request.query;
  const maxParts = boundedInteger(query.get("max-parts"), 1000, "max-parts");
  const marker = Number(query.get("part-number-marker") ?? 0) || 0;
  const all = [...upload.parts.values()]
    .filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  return xmlResponse("ListPartsResult", {
    Bucket: call.bucket,
    Key: call.key,
    UploadId: upload.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: last ? last.partNumber : undefined,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((part) => ({
      PartNumber: part.partNumber,
      LastModified: part.lastModified,
      ETag: `"${part.etag}"`,
      Size: part.size,
      ...checksumPartElement(part.checksum),
    })),
    Initiator: { ID: upload.initiatorArn, DisplayName: OWNER.DisplayName },
    Owner: { ...OWNER },
    StorageClass: upload.attributes.storageClass ?? "STANDARD",
    ChecksumAlgorithm: upload.checksumAlgorithm,
    ChecksumType: upload.checksumAlgorithm ? upload.checksumType : undefined,
  });
};

function checksumPartElement(checksum: StoredChecksum | undefined): XmlObject {
  return checksum ? { [`Checksum${checksum.algorithm}`]: checksum.value } : {};
}

/** ListMultipartUploads, by key then initiation time, with prefix and key/upload-id markers. */
export const listMultipartUploads: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const query = call.request.query;
  const prefix = query.get("prefix") ?? "";
  const keyMarker = query.get("key-marker") ?? "";
  const uploadIdMarker = query.get("upload-id-marker") ?? "";
  const maxUploads = boundedInteger(query.get("max-uploads"), 1000, "max-uploads");
  const all = [...bucket.uploads.values()]
    .filter((upload) => upload.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.localeCompare(b.initiated)))
    .filter((upload) => {
      if (keyMarker === "") return true;
      if (upload.key > keyMarker) return true;
      return upload.key === keyMarker && uploadIdMarker !== "" && upload.uploadId > uploadIdMarker;
    });
  const page = all.slice(0, maxUploads);
  const last = page[page.length - 1];
  return xmlResponse("ListMultipartUploadsResult", {
    Bucket: call.bucket,
    KeyMarker: keyMarker,
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: all.length > page.length ? last?.key : undefined,
    NextUploadIdMarker: all.length > page.length ? last?.uploadId : undefined,
    Prefix: prefix,
    MaxUploads: maxUploads,
    IsTruncated: all.length > page.length,
    Upload: page.map((upload) => ({
      Key: upload.key,
      UploadId: upload.uploadId,
      Initiator: { ID: upload.initiatorArn, DisplayName: OWNER.DisplayName },
      Owner: { ...OWNER },
      StorageClass: upload.attributes.storageClass ?? "STANDARD",
      Initiated: upload.initiated,
      ChecksumAlgorithm: upload.checksumAlgorithm,
      ChecksumType: upload.checksumAlgorithm ? upload.checksumType : undefined,
    })),
  });
};
