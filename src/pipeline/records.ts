import { GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { AwsClients } from "../aws/clients.ts";
import { type ImageMetadataItem, partitionKey, sortKey } from "../function/record.ts";
import type { Stack } from "../stack/spec.ts";

/** Reads one record by object key and ETag (strongly consistent). */
export async function getRecord(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
  key: string,
  etag: string,
): Promise<ImageMetadataItem | undefined> {
  const { Item } = await clients.documents.send(
    new GetCommand({
      TableName: stack.table,
      Key: { PK: partitionKey(stack.bucket, key), SK: sortKey(etag) },
      ConsistentRead: true,
    }),
  );
  return Item as ImageMetadataItem | undefined;
}

/** Every record for one object key (all ETags). */
export async function recordsForKey(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
  key: string,
): Promise<ImageMetadataItem[]> {
  const items: ImageMetadataItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new QueryCommand({
        TableName: stack.table,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": partitionKey(stack.bucket, key) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as ImageMetadataItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every record in the table (paged scan). */
export async function scanRecords(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
): Promise<ImageMetadataItem[]> {
  return (await scanRecordsUpTo(clients, stack, Number.POSITIVE_INFINITY)).items;
}

/**
 * The table's records, scanning no further than the page that reaches `maxItems` (a live view must not read a
 * large real table on every refresh); `complete` says whether the scan reached the end.
 */
export async function scanRecordsUpTo(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
  maxItems: number,
): Promise<{ items: ImageMetadataItem[]; complete: boolean }> {
  const items: ImageMetadataItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({
        TableName: stack.table,
        ExclusiveStartKey: start,
        ConsistentRead: true,
        // Read no more than asked for: DynamoDB charges for what a page reads, not for what is used.
        Limit: Number.isFinite(maxItems) ? Math.min(1000, maxItems - items.length) : undefined,
      }),
    );
    items.push(...((page.Items ?? []) as ImageMetadataItem[]));
    start = page.LastEvaluatedKey;
  } while (start && items.length < maxItems);
  return { items, complete: start === undefined };
}

/**
 * Polls until the record for (key, etag) exists or the deadline passes; returns it with the time waited.
 * Polling starts fast (the embedded engine writes within milliseconds) and backs off to 250 ms.
 */
export async function waitForRecord(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
  key: string,
  etag: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ item: ImageMetadataItem; waitedMs: number } | undefined> {
  const started = performance.now();
  let delay = 5;
  for (;;) {
    const item = await getRecord(clients, stack, key, etag);
    const waitedMs = performance.now() - started;
    if (item) return { item, waitedMs };
    if (waitedMs + delay > options.timeoutMs || options.signal?.aborted) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 250);
  }
}
