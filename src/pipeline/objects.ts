import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { AwsClients } from "../aws/clients.ts";
import { stripETagQuotes } from "../function/record.ts";
import type { StoredObject } from "./consistency.ts";

/** Every object under a prefix (ListObjectsV2, paged), with bare ETags. */
export async function listObjects(
  clients: AwsClients,
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
