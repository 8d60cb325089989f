import { ListObjectsV2Command, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import type { AwsClients } from "../aws/clients.ts";
import { stripETagQuotes } from "../function/record.ts";
import type { StoredObject } from "./consistency.ts";

/** Every object under a prefix (ListObjectsV2, paged), with bare ETags. */
export async function listObjects(
  clients: Pick<AwsClients, "s3">,
  bucket: string,
  prefix: string,
): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      objects.push({ key: String(o.Key), etag: stripETagQuotes(o.ETag ?? ""), size: o.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/**
 * Every object version under a prefix (ListObjectVersions, paged by key and version-id markers), delete
 * markers left out. On an unversioned bucket each key has its one `null` version, its current object.
 */
export async function listObjectVersions(
  clients: Pick<AwsClients, "s3">,
  bucket: string,
  prefix: string,
): Promise<StoredObject[]> {
  const versions: StoredObject[] = [];
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, ...markers }),
    );
    for (const v of page.Versions ?? []) {
      const version: StoredObject = {
        key: String(v.Key),
        etag: stripETagQuotes(v.ETag ?? ""),
        size: v.Size ?? 0,
        isLatest: v.IsLatest ?? true,
      };
      if (v.VersionId && v.VersionId !== "null") version.versionId = v.VersionId;
      versions.push(version);
    }
    if (!page.IsTruncated) return versions;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}
