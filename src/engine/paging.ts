/**
 * The one pager for list operations over a sorted listing (IAM's `Marker`/`MaxItems`, Logs' `Describe*`
 * `nextToken`/`limit`, Lambda's `Marker`/`MaxItems`): a page is a slice from an offset, and the next page starts
 * where it ends. Each service reads and writes its own parameter names and error types around it.
 *
 * Log events (`logs/paging.ts`) and S3 listings (`s3/listing.ts`) page by key instead, since their tokens must
 * stay valid while the listing changes under them.
 *
 * @example pageFrom(["a", "b", "c"], 1, 1) // { items: ["b"], next: 2 }
 */

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** Offset of the next page; absent on the last page. */
  next?: number;
}

/** The `limit` items from offset `start`, and where the next page starts when there are more. */
export function pageFrom<T>(items: readonly T[], start: number, limit: number): Page<T> {
  const slice = items.slice(start, start + limit);
  const end = start + slice.length;
  return end < items.length ? { items: slice, next: end } : { items: slice };
}

/** The opaque token for a page offset (`o/<offset>`, base64url, as Logs' `Describe*` tokens always were). */
export function encodeOffsetToken(offset: number): string {
  return Buffer.from(`o/${offset}`).toString("base64url");
}

/** The offset in a token {@link encodeOffsetToken} wrote, or undefined for any other text. */
export function decodeOffsetToken(token: string): number | undefined {
  const match = /^o\/(\d{1,15})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  return match ? Number(match[1]) : undefined;
}
