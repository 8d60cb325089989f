import { urlEncodeForListing } from "./addressing.ts";
import { invalidArgument } from "./errors.ts";
import { decodeContinuationToken, encodeContinuationToken, listPage, listVersionsPage } from "./listing.ts";
import { OWNER, requireBucket, type S3Call, type S3Handler, xmlResponse } from "./runtime.ts";
import { isDeleteMarker, type ObjectRecord } from "./storage/records.ts";
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
    // Unlike ListObjectsV2, v1 sends the top-level Prefix as given even with encoding-type=url.
    Prefix: parameters.prefix,
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
 * ListObjectVersions: every version and delete marker, keys in order and each key's versions newest first,
 * with key / version-id markers (both given back when truncated) and delimiter folding.
 */
export const listObjectVersions: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const parameters = listParameters(call);
  const query = call.request.query;
  const keyMarker = query.get("key-marker") ?? "";
  const versionIdMarker = query.get("version-id-marker") ?? "";
  if (versionIdMarker !== "" && keyMarker === "") {
    throw invalidArgument(
      "A version-id marker cannot be specified without a key marker.",
      "version-id-marker",
      versionIdMarker,
    );
  }
  const page = listVersionsPage({
    keys: bucket.sortedVersionKeys(),
    versionsOf: (key) => bucket.versions.get(key) ?? [],
    prefix: parameters.prefix,
    ...(parameters.delimiter !== undefined ? { delimiter: parameters.delimiter } : {}),
    ...(keyMarker !== "" ? { keyMarker } : {}),
    ...(versionIdMarker !== "" ? { versionIdMarker } : {}),
    maxKeys: parameters.maxKeys,
  });
  const { encode } = parameters;
  const versions: XmlObject[] = [];
  const markers: XmlObject[] = [];
  for (const { key, entry, isLatest } of page.versions) {
    if (isDeleteMarker(entry)) {
      markers.push({
        Key: encode(key),
        VersionId: entry.versionId,
        IsLatest: isLatest,
        LastModified: entry.lastModified,
        Owner: { ...OWNER },
      });
    } else {
      versions.push({
        Key: encode(key),
        VersionId: entry.versionId ?? "null",
        IsLatest: isLatest,
        LastModified: entry.lastModified,
        ETag: `"${entry.etag}"`,
        ChecksumAlgorithm: entry.checksum?.algorithm,
        ChecksumType: entry.checksum?.type,
        Size: entry.size,
        Owner: { ...OWNER },
        StorageClass: entry.storageClass ?? "STANDARD",
      });
    }
  }
  return xmlResponse("ListVersionsResult", {
    Name: call.bucket,
    Prefix: encode(parameters.prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker:
      page.isTruncated && page.nextKeyMarker !== undefined ? encode(page.nextKeyMarker) : undefined,
    NextVersionIdMarker: page.isTruncated ? page.nextVersionIdMarker : undefined,
    MaxKeys: parameters.maxKeys,
    Delimiter: parameters.delimiter === undefined ? undefined : encode(parameters.delimiter),
    EncodingType: parameters.encodingType,
    IsTruncated: page.isTruncated,
    Version: versions,
    DeleteMarker: markers,
    CommonPrefixes: page.commonPrefixes.map((prefix) => ({ Prefix: encode(prefix) })),
  });
};
