import pLimit from "p-limit";
import {
  BatchProcessingError,
  DuplicateRecordError,
  ObjectMissingError,
  ObjectSupersededError,
} from "./errors.ts";
import { shapeRecord } from "./record.ts";
import { parseS3Event, type SkipReason, versionSelector } from "./s3-event.ts";
import type { MetadataStore } from "./store.ts";

/** What happened to one record; `failed` records make the invocation throw after the batch. */
type RecordOutcome =
  | { outcome: "written" | "duplicate"; bucket: string; key: string; pk: string; sk: string }
  | { outcome: `skipped:${SkipReason}`; bucket?: string; key?: string; detail: string }
  | { outcome: "failed"; bucket: string; key: string; error: Error };

export interface IngestSummary {
  total: number;
  written: number;
  duplicate: number;
  skipped: number;
  failed: number;
  outcomes: RecordOutcome[];
}

/** Structured logger surface the ingest needs (Powertools Logger satisfies it). */
export interface IngestLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface IngestOptions {
  store: MetadataStore;
  logger: IngestLogger;
  requestId: string;
  /** Records processed at once within one event (S3 sends one per event today, but batches are allowed). */
  concurrency?: number;
  expectedBucket?: string;
  now?: () => Date;
}

/**
 * Processes one S3 event: for each object-created record, HeadObject of the version the event names, then a
 * conditional write. Duplicates count as success; vanished or superseded objects and foreign shapes are skipped; any other error is thrown
 * after every record was attempted, so the platform's retry re-drives the event.
 */
export async function ingestEvent(event: unknown, options: IngestOptions): Promise<IngestSummary> {
  const { store, logger, requestId } = options;
  const now = options.now ?? (() => new Date());
  const parsed = parseS3Event(event, { expectedBucket: options.expectedBucket });
  const outcomes: RecordOutcome[] = [];
  for (const skip of parsed.skipped) {
    const outcome: RecordOutcome = { outcome: `skipped:${skip.reason}`, detail: skip.detail };
    logger.warn("record skipped", {
      requestId,
      recordIndex: skip.index,
      outcome: outcome.outcome,
      reason: skip.detail,
    });
    outcomes.push(outcome);
  }
  const limit = pLimit(Math.max(1, options.concurrency ?? 8));
  const processed = await Promise.all(
    parsed.records.map(({ record }) =>
      limit(async (): Promise<RecordOutcome> => {
        const { bucket, key } = record;
        try {
          // The version the event names, never whatever the key holds by now (see versionSelector).
          const head = await store.headObject(bucket, key, versionSelector(record));
          const item = shapeRecord(record, head, { requestId, now: now() });
          const base = { bucket, key, pk: item.PK, sk: item.SK };
          try {
            await store.putRecordIfAbsent(item);
            logger.info("record written", { requestId, ...base, outcome: "written", size: item.size });
            return { outcome: "written", ...base };
          } catch (error) {
            if (!(error instanceof DuplicateRecordError)) throw error;
            logger.info("duplicate delivery: record already exists", {
              requestId,
              ...base,
              outcome: "duplicate",
            });
            return { outcome: "duplicate", ...base };
          }
        } catch (error) {
          if (error instanceof ObjectSupersededError) {
            logger.warn("object overwritten since the event; its newer version has its own record", {
              requestId,
              bucket,
              key,
              eTag: record.eTag,
              outcome: "skipped:superseded",
            });
            return { outcome: "skipped:superseded", bucket, key, detail: error.message };
          }
          if (error instanceof ObjectMissingError) {
            logger.warn("object no longer exists; skipped", {
              requestId,
              bucket,
              key,
              outcome: "skipped:object-missing",
            });
            return { outcome: "skipped:object-missing", bucket, key, detail: error.message };
          }
          const failure = error instanceof Error ? error : new Error(String(error));
          logger.error("record failed", {
            requestId,
            bucket,
            key,
            outcome: "failed",
            errorName: failure.name,
            errorMessage: failure.message,
          });
          return { outcome: "failed", bucket, key, error: failure };
        }
      }),
    ),
  );
  outcomes.push(...processed);
  const count = (predicate: (o: RecordOutcome) => boolean) => outcomes.filter(predicate).length;
  const summary: IngestSummary = {
    total: outcomes.length,
    written: count((o) => o.outcome === "written"),
    duplicate: count((o) => o.outcome === "duplicate"),
    skipped: count((o) => o.outcome.startsWith("skipped:")),
    failed: count((o) => o.outcome === "failed"),
    outcomes,
  };
  logger.info("invocation summary", {
    requestId,
    total: summary.total,
    written: summary.written,
    duplicate: summary.duplicate,
    skipped: summary.skipped,
    failed: summary.failed,
  });
  const failures = outcomes.flatMap((o) =>
    o.outcome === "failed" ? [{ bucket: o.bucket, key: o.key, error: o.error }] : [],
  );
  if (failures.length > 0) throw new BatchProcessingError(failures, summary.total);
  return summary;
}
