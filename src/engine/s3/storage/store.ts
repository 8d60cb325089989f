import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { compareUtf8 } from "../listing.ts";
import { type BlobStore, FileBlobStore, MemoryBlobStore } from "./blobs.ts";
import { Journal } from "./journal.ts";
import type {
  BlobRef,
  BucketConfiguration,
  BucketRecord,
  JournalRecord,
  ObjectRecord,
  PartRecord,
  UploadRecord,
} from "./records.ts";

/** A multipart upload in progress. */
export interface UploadState extends UploadRecord {
  parts: Map<number, PartRecord>;
}

/** A bucket with its objects, indexed by key; the sorted key view is built lazily for listings. */
export class BucketState {
  readonly objects = new Map<string, ObjectRecord>();
  readonly uploads = new Map<string, UploadState>();
  configuration: BucketConfiguration = {};
  #sortedKeys: string[] | undefined;

  constructor(readonly record: BucketRecord) {}

  get name(): string {
    return this.record.name;
  }

  /** Keys in S3 listing order; cached until a key is added or removed. */
  sortedKeys(): readonly string[] {
    this.#sortedKeys ??= [...this.objects.keys()].sort(compareUtf8);
    return this.#sortedKeys;
  }

  setObject(object: ObjectRecord): ObjectRecord | undefined {
    const previous = this.objects.get(object.key);
    this.objects.set(object.key, object);
    if (!previous) this.#sortedKeys = undefined;
    return previous;
  }

  deleteObject(key: string): ObjectRecord | undefined {
    const previous = this.objects.get(key);
    if (previous) {
      this.objects.delete(key);
      this.#sortedKeys = undefined;
    }
    return previous;
  }
}

/** What a state change left unreferenced, to be released once the change is durable. */
type Released = BlobRef[];

/**
 * Applies one journal record to the state. The same function serves live writes and replay on startup, so
 * the state after a restart is exactly the state that was acknowledged.
 */
export function applyRecord(buckets: Map<string, BucketState>, record: JournalRecord): Released {
  const released: Released = [];
  switch (record.t) {
    case "createBucket":
      if (!buckets.has(record.bucket.name)) buckets.set(record.bucket.name, new BucketState(record.bucket));
      break;
    case "deleteBucket": {
      const bucket = buckets.get(record.bucket);
      if (!bucket) break;
      for (const object of bucket.objects.values()) released.push(object.blob);
      for (const upload of bucket.uploads.values())
        for (const part of upload.parts.values()) released.push(part.blob);
      buckets.delete(record.bucket);
      break;
    }
    case "configure": {
      const bucket = buckets.get(record.bucket);
      if (bucket) bucket.configuration = record.configuration;
      break;
    }
    case "putObject": {
      const bucket = buckets.get(record.bucket);
      if (!bucket) {
        released.push(record.object.blob);
        break;
      }
      const previous = bucket.setObject(record.object);
      if (previous) released.push(previous.blob);
      break;
    }
    case "deleteObject": {
      const previous = buckets.get(record.bucket)?.deleteObject(record.key);
      if (previous) released.push(previous.blob);
      break;
    }
    case "createUpload":
      buckets.get(record.bucket)?.uploads.set(record.upload.uploadId, { ...record.upload, parts: new Map() });
      break;
    case "putPart": {
      const upload = buckets.get(record.bucket)?.uploads.get(record.uploadId);
      if (!upload) {
        released.push(record.part.blob);
        break;
      }
      const previous = upload.parts.get(record.part.partNumber);
      if (previous) released.push(previous.blob);
      upload.parts.set(record.part.partNumber, record.part);
      break;
    }
    case "completeUpload": {
      const bucket = buckets.get(record.bucket);
      const upload = bucket?.uploads.get(record.uploadId);
      if (!bucket || !upload) break;
      bucket.uploads.delete(record.uploadId);
      const kept = new Set(record.object.blob.map((segment) => segment.id));
      for (const part of upload.parts.values()) {
        const unused = part.blob.filter((segment) => !kept.has(segment.id));
        if (unused.length > 0) released.push(unused);
      }
      const previous = bucket.setObject(record.object);
      if (previous) released.push(previous.blob);
      break;
    }
    case "abortUpload": {
      const bucket = buckets.get(record.bucket);
      const upload = bucket?.uploads.get(record.uploadId);
      if (!bucket || !upload) break;
      bucket.uploads.delete(record.uploadId);
      for (const part of upload.parts.values()) released.push(part.blob);
      break;
    }
  }
  return released;
}

/** Records that recreate the given state: the compacted journal. */
export function snapshotRecords(buckets: Map<string, BucketState>): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const bucket of buckets.values()) {
    records.push({ t: "createBucket", bucket: bucket.record });
    if (Object.keys(bucket.configuration).length > 0) {
      records.push({ t: "configure", bucket: bucket.name, configuration: bucket.configuration });
    }
    for (const object of bucket.objects.values())
      records.push({ t: "putObject", bucket: bucket.name, object });
    for (const upload of bucket.uploads.values()) {
      const { parts, ...record } = upload;
      records.push({ t: "createUpload", bucket: bucket.name, upload: record });
      for (const part of parts.values())
        records.push({ t: "putPart", bucket: bucket.name, uploadId: record.uploadId, part });
    }
  }
  return records;
}

/**
 * S3 state: buckets, objects, uploads and their bytes. In memory by default; with a data directory every
 * change goes to a durable journal (`<dataDir>/s3/journal.log`) and bytes to random-id files under
 * `<dataDir>/s3/blobs/`. Changes apply to the in-memory state synchronously, in call order, which is also the
 * journal order; `commit` resolves once the change is durable, and only then are replaced bytes released.
 */
export class S3Store {
  readonly buckets: Map<string, BucketState>;
  readonly blobs: BlobStore;
  readonly #journal: Journal<JournalRecord> | undefined;
  /** Highest sequencer found in persisted objects; new sequencers continue above it. */
  readonly maxSequencer: bigint;

  private constructor(
    buckets: Map<string, BucketState>,
    blobs: BlobStore,
    journal: Journal<JournalRecord> | undefined,
    maxSequencer: bigint,
  ) {
    this.buckets = buckets;
    this.blobs = blobs;
    this.#journal = journal;
    this.maxSequencer = maxSequencer;
  }

  /**
   * Opens the store: in memory without `dataDir`; otherwise replays and compacts the journal, which then keeps
   * compacting itself while the store is open (see `JournalCompaction`; `compactAfter` is its floor).
   */
  static async open(
    dataDir: string | undefined,
    log: (message: string) => void,
    options: { compactAfter?: number } = {},
  ): Promise<S3Store> {
    const buckets = new Map<string, BucketState>();
    if (!dataDir) return new S3Store(buckets, new MemoryBlobStore(), undefined, 0n);
    const directory = join(dataDir, "s3");
    await mkdir(directory, { recursive: true });
    const blobs = await FileBlobStore.open(join(directory, "blobs"));
    const { journal, contents } = await Journal.open<JournalRecord>(
      join(directory, "journal.log"),
      (records) => {
        for (const record of records) applyRecord(buckets, record);
        return snapshotRecords(buckets);
      },
      {
        // The live state is `buckets` itself: commit applies a change before appending it, as required.
        live: () => snapshotRecords(buckets),
        ...(options.compactAfter !== undefined ? { minAppends: options.compactAfter } : {}),
        onError: (error) =>
          log(
            `s3: journal compaction failed (the old journal stays in use; retried after more writes): ${errorText(error)}`,
          ),
        onCompacted: (records) => log(`s3: compacted the journal to ${records} record(s)`),
      },
    );
    if (contents.tornTail) log("s3: dropped a torn last journal record (the write was never acknowledged)");
    if (contents.damagedLines > 0) log(`s3: skipped ${contents.damagedLines} damaged journal line(s)`);
    const referenced = new Set<string>();
    let maxSequencer = 0n;
    for (const bucket of buckets.values()) {
      for (const object of bucket.objects.values()) {
        for (const segment of object.blob) referenced.add(segment.id);
        const sequencer = BigInt(`0x${object.sequencer || "0"}`);
        if (sequencer > maxSequencer) maxSequencer = sequencer;
      }
      for (const upload of bucket.uploads.values()) {
        for (const part of upload.parts.values()) for (const segment of part.blob) referenced.add(segment.id);
      }
    }
    // Blobs written but never journalled, or released but not yet unlinked, when the last run ended.
    const removed = await blobs.collectGarbage(referenced);
    if (removed > 0) log(`s3: removed ${removed} unreferenced blob file(s)`);
    return new S3Store(buckets, blobs, journal, maxSequencer);
  }

  /** Applies a change now and resolves when it is durable; bytes it replaced are released after that. */
  commit(record: JournalRecord): Promise<void> | undefined {
    const released = applyRecord(this.buckets, record);
    if (!this.#journal) {
      for (const blob of released) this.blobs.release(blob);
      return undefined;
    }
    return this.#journal.append(record).then(() => {
      for (const blob of released) this.blobs.release(blob);
    });
  }

  /** Rewrites the journal to the live state now, in turn with writes (a no-op in memory). */
  async compactJournal(): Promise<void> {
    await this.#journal?.compact();
  }

  /** Records in the journal file (0 in memory): the live state at the last compaction plus appends since. */
  get journalRecords(): number {
    return this.#journal?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.#journal?.close();
    await this.blobs.close();
  }
}

/** An error and its cause, on one line. */
function errorText(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
