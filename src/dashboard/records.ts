import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { AwsClients } from "../aws/clients.ts";
import { isNotFoundError } from "../aws/errors.ts";
import type { ImageMetadataItem } from "../function/record.ts";
import { scanRecordsUpTo } from "../pipeline/records.ts";
import type { Stack } from "../stack/spec.ts";

/** One DynamoDB item as the records panel shows it. */
export interface RecordView {
  pk: string;
  sk: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  contentType: string;
  processedAt: string;
  eventTime: string;
  /** Presigned GET of the object, for image content types only. */
  thumbnailUrl?: string;
}

/** Thumbnails expire quickly: the page refetches records (and so URLs) far more often than this. */
const THUMBNAIL_URL_TTL_SECONDS = 300;

/** What the records panel gets: the newest records, how many were scanned, and whether that was all of them. */
export interface RecordsPage {
  records: RecordView[];
  /** Records scanned: the table's count when `complete`, a lower bound otherwise. */
  total: number;
  /** False when the scan stopped at `scanLimit` items: "newest" then means newest of those scanned. */
  complete: boolean;
}

/** The scan stops near here: every refresh reads this much of the table at most (RCUs on real AWS). */
const RECORDS_SCAN_LIMIT = 5_000;

/**
 * The newest `limit` records of the table (and how many there are), each image with a short-lived presigned
 * GET against the client's endpoint (path-style, so the browser loads it from the engine itself). A missing
 * table reads as empty. The scan stops after about `scanLimit` items.
 */
export async function listRecords(
  clients: AwsClients,
  stack: Stack,
  options: { limit: number; scanLimit?: number },
): Promise<RecordsPage> {
  let items: ImageMetadataItem[];
  let complete: boolean;
  try {
    ({ items, complete } = await scanRecordsUpTo(clients, stack, options.scanLimit ?? RECORDS_SCAN_LIMIT));
  } catch (error) {
    if (isNotFoundError(error)) return { records: [], total: 0, complete: true };
    throw error;
  }
  items.sort((a, b) => String(b.processedAt).localeCompare(String(a.processedAt)));
  // A page with thousands of thumbnails helps nobody; the newest ones are what a developer watches.
  const records = await Promise.all(
    items.slice(0, options.limit).map(async (item): Promise<RecordView> => {
      const view: RecordView = {
        pk: item.PK,
        sk: item.SK,
        bucket: item.bucket,
        key: item.key,
        etag: item.etag,
        size: Number(item.size),
        contentType: item.contentType,
        processedAt: item.processedAt,
        eventTime: item.eventTime,
      };
      if (/^image\//i.test(item.contentType ?? "")) {
        view.thumbnailUrl = await getSignedUrl(
          clients.s3,
          new GetObjectCommand({ Bucket: item.bucket, Key: item.key }),
          { expiresIn: THUMBNAIL_URL_TTL_SECONDS },
        );
      }
      return view;
    }),
  );
  return { records, total: items.length, complete };
}
