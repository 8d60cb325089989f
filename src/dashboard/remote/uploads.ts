import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { AwsClients } from "../../aws/clients.ts";
import { isNotFoundError } from "../../aws/errors.ts";
import { stripETagQuotes } from "../../function/record.ts";

/** One object under the upload prefix as ListObjectsV2 reports it. */
export interface ListedObject {
  key: string;
  eTag: string;
  size: number;
  /** LastModified in epoch milliseconds (S3 keeps whole seconds). */
  lastModified: number;
}

/**
 * The objects under a prefix, paged, at most `maxKeys` of them (a dashboard polls this every few seconds; a
 * bucket with millions of uploads must not turn each poll into thousands of requests). A missing bucket lists
 * as empty: the stack may not be provisioned yet.
 */
export async function listUploads(
  clients: AwsClients,
  bucket: string,
  prefix: string,
  options: { maxKeys?: number } = {},
): Promise<ListedObject[]> {
  const maxKeys = options.maxKeys ?? 10_000;
  const objects: ListedObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        objects.push({
          key: String(o.Key),
          eTag: stripETagQuotes(o.ETag ?? ""),
          size: o.Size ?? 0,
          lastModified: o.LastModified?.getTime() ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && objects.length < maxKeys);
  } catch (error) {
    if (isNotFoundError(error)) return [];
    throw error;
  }
  return objects;
}

/**
 * Which listed objects are new or were written again since the last listing (another ETag or LastModified),
 * oldest first, and the state to compare the next listing with.
 *
 * @example diffUploads(new Map(), [{ key: "uploads/a.jpg", eTag: "e1", size: 1, lastModified: 5 }]).changed.length === 1
 */
export function diffUploads(
  known: ReadonlyMap<string, string>,
  listed: ListedObject[],
): { changed: ListedObject[]; known: Map<string, string> } {
  const next = new Map<string, string>();
  const changed: ListedObject[] = [];
  for (const object of listed) {
    const signature = `${object.eTag}|${object.lastModified}`;
    next.set(object.key, signature);
    if (known.get(object.key) !== signature) changed.push(object);
  }
  changed.sort((a, b) => a.lastModified - b.lastModified || a.key.localeCompare(b.key));
  return { changed, known: next };
}
