import { urlEncodeForListing } from "./addressing.ts";
import { invalidArgument } from "./errors.ts";
import { decodeContinuationToken, encodeContinuationToken, listPage } from "./listing.ts";
import { OWNER, requireBucket, type S3Call, type S3Handler, xmlResponse } from "./runtime.ts";
import type { ObjectRecord } from "./storage/records.ts";
import type { XmlObject } from "./xml.ts";

interface ListParameters {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encode: (value: string) => string;
  encodingType?: "url";
}

/** The parameters both list versions share, validated as S3 does. */
function listParameters(call: S3Call): ListParameters {
  const query = call.request.query;
  const prefix = query.get("prefix") ?? "";
  const rawMaxKeys = query.get("max-keys");
  let maxKeys = 1000;
  if (rawMaxKeys !== null) {
    if (!/^\d+$/.test(rawMaxKeys)) {
      throw invalidArgument(
        "Provided max-keys not an integer or within integer range",
        "max-keys",
        rawMaxKeys,
      );
    }
    maxKeys = Math.min(Number(rawMaxKeys), 1000);
  }
  const encodingType = query.get("encoding-type");
  if (encodingType !== null && encodingType.toLowerCase() !== "url") {
    throw invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encodingType);
  }
  const parameters: ListParameters = {
    prefix,
    maxKeys,
    encode: encodingType === null ? (value) => value : urlEncodeForListing,
  };
  const delimiter = query.get("delimiter");
  if (delimiter) parameters.delimiter = delimiter;
  if (encodingType !== null) parameters.encodingType = "url";
  return parameters;
}

function contents(object: ObjectRecord, encode: (value: string) => string, withOwner: boolean): XmlObject {
  return {
    Key: encode(object.key),
    LastModified: object.lastModified,
    ETag: `"${object.etag}"`,
    ChecksumAlgorithm: object.checksum?.algorithm,
    ChecksumType: object.checksum?.type,
    Size: object.size,
    Owner: withOwner ? { ...OWNER } : undefined,
    StorageClass: object.storageClass ?? "STANDARD",
  };
}

/** ListObjectsV2: continuation tokens, start-after, fetch-owner, encoding-type=url. */
export const listObjectsV2: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const query = call.request.query;
  const parameters = listParameters(call);
  const token = query.get("continuation-token");
  const startAfter = query.get("start-after") ?? undefined;
  let marker = startAfter;
  if (token !== null) {
    marker = decodeContinuationToken(token);
    if (marker === undefined) {
      throw invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    }
  }
  const page = listPage({ keys: bucket.sortedKeys(), ...parameters, marker });
  const { encode } = parameters;
  const withOwner = query.get("fetch-owner") === "true";
  return xmlResponse("ListBucketResult", {
    Name: call.bucket,
    Prefix: encode(parameters.prefix),
    Delimiter: parameters.delimiter === undefined ? undefined : encode(parameters.delimiter),
    MaxKeys: parameters.maxKeys,
    EncodingType: parameters.encodingType,
    IsTruncated: page.isTruncated,
    KeyCount: page.keys.length + page.commonPrefixes.length,
    ContinuationToken: token ?? undefined,
    NextContinuationToken:
      page.isTruncated && page.lastItem !== undefined ? encodeContinuationToken(page.lastItem) : undefined,
    StartAfter: startAfter === undefined ? undefined : encode(startAfter),
    Contents: page.keys.map((key) => contents(bucket.objects.get(key) as ObjectRecord, encode, withOwner)),
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};

/** ListObjects (v1): Marker, and NextMarker when a delimiter is given (as S3 does). */
export const listObjects: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const parameters = listParameters(call);
  const marker = call.request.query.get("marker") ?? "";
  const page = listPage({
    keys: bucket.sortedKeys(),
    ...parameters,
    marker: marker === "" ? undefined : marker,
  });
  const { encode } = parameters;
  return xmlResponse("ListBucketResult", {
    Name: call.bucket,
    Prefix: encode(parameters.prefix),
    Marker: encode(marker),
    NextMarker:
      page.isTruncated && parameters.delimiter !== undefined && page.lastItem !== undefined
        ? encode(page.lastItem)
        : undefined,
    MaxKeys: parameters.maxKeys,
    Delimiter: parameters.delimiter === undefined ? undefined : encode(parameters.delimiter),
    EncodingType: parameters.encodingType,
    IsTruncated: page.isTruncated,
    Contents: page.keys.map((key) => contents(bucket.objects.get(key) as ObjectRecord, encode, true)),
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};

/**
 * ListObjectVersions: only current versions are kept, so each object is listed once as the latest version
 * (`null` when versioning never assigned one). Enough for tools that clean buckets.
 */
export const listObjectVersions: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const parameters = listParameters(call);
  const keyMarker = call.request.query.get("key-marker") ?? "";
  const page = listPage({
    keys: bucket.sortedKeys(),
    ...parameters,
    marker: keyMarker === "" ? undefined : keyMarker,
  });
  const { encode } = parameters;
  return xmlResponse("ListVersionsResult", {
    Name: call.bucket,
    Prefix: encode(parameters.prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: call.request.query.get("version-id-marker") ?? "",
    NextKeyMarker: page.isTruncated && page.lastItem !== undefined ? encode(page.lastItem) : undefined,
    MaxKeys: parameters.maxKeys,
    Delimiter: parameters.delimiter === undefined ? undefined : encode(parameters.delimiter),
    EncodingType: parameters.encodingType,
    IsTruncated: page.isTruncated,
    Version: page.keys.map((key) => {
      const object = bucket.objects.get(key) as ObjectRecord;
      return {
        Key: encode(key),
        VersionId: object.versionId ?? "null",
        IsLatest: true,
        LastModified: object.lastModified,
        ETag: `"${object.etag}"`,
        Size: object.size,
        Owner: { ...OWNER },
        StorageClass: object.storageClass ?? "STANDARD",
      };
    }),
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};
