import { headerValue } from "../headers.ts";
import { parseTagSet, tagSetDocument } from "./bucket-config.ts";
import { invalidArgument, S3Error } from "./errors.ts";
import { httpDate } from "./object-headers.ts";
import { findVersion } from "./objects.ts";
import { readPayload } from "./payload.ts";
import {
  emptyResponse,
  requireBucket,
  type S3Call,
  type S3Handler,
  type S3Runtime,
  xmlResponse,
} from "./runtime.ts";
import { assertCustomerKey } from "./sse.ts";
import type { ObjectRecord } from "./storage/records.ts";
import type { XmlObject } from "./xml.ts";

export function taggedVersion(runtime: S3Runtime, call: S3Call): ObjectRecord {
  return findVersion(
    requireBucket(runtime, call.bucket),
    call.key,
    call.request.query.get("versionId") ?? undefined,
  );
}

const versionHeader = (object: ObjectRecord): Record<string, string> =>
  object.versionId === undefined ? {} : { "x-amz-version-id": object.versionId };

/** Largest tagging document read from a streamed object PUT (10 tags fit in a few KiB). */
const MAX_TAGGING_BYTES = 64 * 1024;

/** The request body; object PUTs arrive as a stream (the edge streams every object write), read here in full. */
export async function smallBody(call: S3Call): Promise<Buffer> {
  const stream = call.request.bodyStream;
  if (!stream) return call.request.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_TAGGING_BYTES)
      throw new S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.");
    chunks.push(chunk as Buffer);
  }
  // Content-MD5 and a flexible checksum describe this body: verified as S3 does (aws-chunked framing decoded).
  return readPayload(call.request.headers, Buffer.concat(chunks)).data;
}

/** PutObjectTagging: replaces the tag set of the current (or named) version, without a new version. */
export const putObjectTagging: S3Handler = async (runtime, call) => {
  const object = taggedVersion(runtime, call);
  const tags = parseTagSet(await smallBody(call));
  await runtime.store.commit({
    t: "tagObject",
    bucket: call.bucket,
    key: call.key,
    versionId: object.versionId ?? "null",
    tags,
  });
  return emptyResponse(200, versionHeader(object));
};

export const getObjectTagging: S3Handler = async (runtime, call) => {
  const object = taggedVersion(runtime, call);
  return xmlResponse("Tagging", tagSetDocument(object.tags ?? {}), versionHeader(object));
};

export const deleteObjectTagging: S3Handler = async (runtime, call) => {
  const object = taggedVersion(runtime, call);
  await runtime.store.commit({
    t: "tagObject",
    bucket: call.bucket,
    key: call.key,
    versionId: object.versionId ?? "null",
  });
  return emptyResponse(204, versionHeader(object));
};

const objectAttributes = new Set(["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]);

/** GetObjectAttributes: the attributes `x-amz-object-attributes` names, without reading the object. */
export const getObjectAttributes: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  const object = taggedVersion(runtime, call);
  assertCustomerKey(object, headers);
  const wanted = (headerValue(headers, "x-amz-object-attributes") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (wanted.length === 0) {
    throw invalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", "");
  }
  for (const name of wanted) {
    if (!objectAttributes.has(name))
      throw invalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", name);
  }
  const document: XmlObject = {};
  if (wanted.includes("ETag")) document.ETag = object.etag;
  if (wanted.includes("Checksum") && object.checksum) {
    document.Checksum = {
      [`Checksum${object.checksum.algorithm}`]: object.checksum.value,
      ChecksumType: object.checksum.type,
    };
  }
  if (wanted.includes("ObjectParts") && object.partsCount !== undefined) {
    document.ObjectParts = { TotalPartsCount: object.partsCount };
  }
  if (wanted.includes("StorageClass")) document.StorageClass = object.storageClass ?? "STANDARD";
  if (wanted.includes("ObjectSize")) document.ObjectSize = object.size;
  return xmlResponse("GetObjectAttributesResponse", document, {
    "last-modified": httpDate(object.lastModified),
    ...versionHeader(object),
  });
};
