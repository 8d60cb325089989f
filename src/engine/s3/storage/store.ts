import { join } from "node:path";
import type { DurableStore } from "../../store/index.ts";
import type { Journal } from "../../store/journal.ts";
import { compareUtf8 } from "../listing.ts";
import { type BlobStore, FileBlobStore, MemoryBlobStore } from "./blobs.ts";
import {
  type BlobRef,
  type BlobSegment,
  type BucketConfiguration,
  type BucketRecord,
  isDeleteMarker,
  type JournalRecord,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
  type VersionEntry,
} from "./records.ts";

/** A multipart upload in progress. */
export interface UploadState extends UploadRecord {
  parts: Map<number, PartRecord>;
}

/** A bucket with its objects, indexed by key; the sorted key views are built lazily for listings. */
export class BucketState {
  /** The current version of each key that has one (the latest entry, unless that is a delete marker). */
  readonly objects = new Map<string, ObjectRecord>();
  /** Every version of each key, newest first; an unversioned bucket keeps one (`null`) version per key. */
  readonly versions = new Map<string, VersionEntry[]>();
  readonly uploads = new Map<string, UploadState>();
  /** Completed uploads by id, so a retried CompleteMultipartUpload answers as the first one did. */
  readonly completedUploads = new Map<string, ObjectRecord>();
  configuration: BucketConfiguration = {};
  #sortedKeys: string[] | undefined;
  #sortedVersionKeys: string[] | undefined;

  readonly record: BucketRecord;

  constructor(record: BucketRecord) {
    this.record = record;
  }

  get name(): string {
    return this.record.name;
  }

  /** Keys with a current version, in S3 listing order; cached until a key is added or removed. */
  sortedKeys(): readonly string[] {
    this.#sortedKeys ??= [...this.objects.keys()].sort(compareUtf8);
    return this.#sortedKeys;
  }

  /** Keys with any version (delete markers included), in S3 listing order. */
  sortedVersionKeys(): readonly string[] {
    this.#sortedVersionKeys ??= [...this.versions.keys()].sort(compareUtf8);
    return this.#sortedVersionKeys;
  }

  /** The version `versionId` of `key` (`null` names the unversioned one), or undefined. */
  version(key: string, versionId: string): VersionEntry | undefined {
    return this.versions.get(key)?.find((entry) => (entry.versionId ?? "null") === versionId);
  }

  /**
   * Adds a version (object or delete marker) as the latest. A `null` version replaces the key's earlier `null`
   * version, as S3 does for unversioned and versioning-suspended writes; other versions accumulate.
   */
  addVersion(entry: VersionEntry): VersionEntry[] {
    const history = this.versions.get(entry.key) ?? [];
    if (history.length === 0) {
      this.versions.set(entry.key, history);
      this.#sortedVersionKeys = undefined;
    }
    const removed: VersionEntry[] = [];
    if ((entry.versionId ?? "null") === "null") {
      const index = history.findIndex((existing) => (existing.versionId ?? "null") === "null");
      if (index !== -1) removed.push(...history.splice(index, 1));
    }
    history.unshift(entry);
    this.#refreshCurrent(entry.key);
    return removed;
  }

  /** Removes one version; the next one (if any) becomes current. */
  removeVersion(key: string, versionId: string): VersionEntry | undefined {
    const history = this.versions.get(key);
    const index = history?.findIndex((entry) => (entry.versionId ?? "null") === versionId) ?? -1;
    if (!history || index === -1) return undefined;
    const [removed] = history.splice(index, 1);
    if (history.length === 0) {
      this.versions.delete(key);
      this.#sortedVersionKeys = undefined;
    }
    this.#refreshCurrent(key);
    return removed;
  }

  /** Removes the key with all its versions. */
  removeKey(key: string): VersionEntry[] {
    const history = this.versions.get(key) ?? [];
    if (this.versions.delete(key)) this.#sortedVersionKeys = undefined;
    this.#refreshCurrent(key);
    return history;
  }

  #refreshCurrent(key: string): void {
    const latest = this.versions.get(key)?.[0];
    const hadCurrent = this.objects.has(key);
    if (latest && !isDeleteMarker(latest)) {
      this.objects.set(key, latest);
      if (!hadCurrent) this.#sortedKeys = undefined;
    } else if (hadCurrent) {
      this.objects.delete(key);
      this.#sortedKeys = undefined;
    }
  }
}

const blobsOf = (entries: VersionEntry[]): BlobRef[] =>
  entries.flatMap((entry) => (isDeleteMarker(entry) ? [] : [entry.blob]));

/** What a state change left unreferenced, to be released once the change is durable. */
type Released = BlobRef[];

/**
 * Applies one journal record to the state. The same function serves live writes and replay on startup, so
 * the state after a restart is exactly the state that was acknowledged.
 */
function applyRecord(buckets: Map<string, BucketState>, record: JournalRecord): Released {
  const released: Released = [];
  switch (record.t) {
    case "createBucket":
      if (!buckets.has(record.bucket.name)) {
        const created = new BucketState(record.bucket);
        if (record.configuration) created.configuration = record.configuration;
        buckets.set(record.bucket.name, created);
      }
      break;
    case "deleteBucket": {
      const bucket = buckets.get(record.bucket);
      if (!bucket) break;
      for (const history of bucket.versions.values()) released.push(...blobsOf(history));
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
      released.push(...blobsOf(bucket.addVersion(record.object)));
      break;
    }
    case "deleteObject": {
      const bucket = buckets.get(record.bucket);
      if (!bucket) break;
      const removed = record.marker ? bucket.addVersion(record.marker) : bucket.removeKey(record.key);
      released.push(...blobsOf(removed));
      break;
    }
    case "deleteVersion": {
      const removed = buckets.get(record.bucket)?.removeVersion(record.key, record.versionId);
      if (removed) released.push(...blobsOf([removed]));
      break;
    }
    case "tagObject":
    case "aclObject": {
      // Tags and ACLs change a version in place (no new version); undefined clears them.
      const entry = buckets.get(record.bucket)?.version(record.key, record.versionId);
      if (entry && !isDeleteMarker(entry)) {
        const value = record.t === "tagObject" ? record.tags : record.acl;
        const field = record.t === "tagObject" ? "tags" : "acl";
        if (value === undefined) delete entry[field];
        else Object.assign(entry, { [field]: value });
      }
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
      released.push(...blobsOf(bucket.addVersion(record.object)));
      bucket.completedUploads.set(record.uploadId, record.object);
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
function snapshotRecords(buckets: Map<string, BucketState>): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const bucket of buckets.values()) {
    records.push({ t: "createBucket", bucket: bucket.record });
    if (Object.keys(bucket.configuration).length > 0) {
      records.push({ t: "configure", bucket: bucket.name, configuration: bucket.configuration });
    }
    for (const history of bucket.versions.values()) {
      // Oldest first, so replay rebuilds the same newest-first history.
      for (const entry of [...history].reverse()) {
        records.push(
          isDeleteMarker(entry)
            ? { t: "deleteObject", bucket: bucket.name, key: entry.key, marker: entry }
            : { t: "putObject", bucket: bucket.name, object: entry },
        );
      }
    }
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
   * Opens the store: in memory without a durable store; otherwise replays and compacts the S3 journal, which then
   * keeps compacting itself while open (see `JournalCompaction`; `compactAfter` is its floor), and checks that
   * every blob file the metadata names exists with its recorded size: a missing or short one refuses the start.
   */
  static async open(
    durable: DurableStore | undefined,
    log: (message: string) => void,
    options: { compactAfter?: number } = {},
  ): Promise<S3Store> {
    const buckets = new Map<string, BucketState>();
    if (!durable) return new S3Store(buckets, new MemoryBlobStore(), undefined, 0n);
    const blobs = await FileBlobStore.open(blobDirectoryOf(durable.dataDir));
    const journal = await durable.open<JournalRecord>(
      "s3",
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
    const referenced = referencedSegments(buckets);
    const bad = await blobs.check(referenced.values());
    if (bad.length > 0) {
      await journal.close();
      const first = bad[0] as (typeof bad)[number];
      throw durable.damaged(
        `${bad.length} blob file(s) named by ${durable.path("s3")} are missing or short (the first: ${first.path}, ${first.problem})`,
      );
    }
    let maxSequencer = 0n;
    for (const bucket of buckets.values()) {
      for (const history of bucket.versions.values()) {
        for (const object of history) {
          if (isDeleteMarker(object)) continue;
          const sequencer = BigInt(`0x${object.sequencer || "0"}`);
          if (sequencer > maxSequencer) maxSequencer = sequencer;
        }
      }
    }
    // Blobs written but never journalled, or released but not yet unlinked, when the last run ended.
    const removed = await blobs.collectGarbage(new Set(referenced.keys()));
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

/**
 * `pipeline repair`'s pass over S3's journal (the check that refuses the start, applied): the object versions and
 * upload parts whose blob file is missing or of the wrong size are dropped, each named in `lost`.
 */
export async function keepIntactBuckets(
  dataDir: string,
  records: unknown[],
): Promise<{ records: unknown[]; lost: string[] }> {
  const buckets = new Map<string, BucketState>();
  for (const record of records as JournalRecord[]) applyRecord(buckets, record);
  const blobs = await FileBlobStore.open(blobDirectoryOf(dataDir));
  const intact = async (blob: BlobRef) => (await blobs.check(blob)).length === 0;
  const lost: string[] = [];
  for (const bucket of buckets.values()) {
    for (const [key, history] of [...bucket.versions]) {
      for (const entry of [...history]) {
        if (isDeleteMarker(entry) || (await intact(entry.blob))) continue;
        bucket.removeVersion(key, entry.versionId ?? "null");
        lost.push(
          `s3://${bucket.name}/${key} (version ${entry.versionId ?? "null"}): its blob file is missing or short`,
        );
      }
    }
    for (const upload of bucket.uploads.values()) {
      for (const [number, part] of [...upload.parts]) {
        if (await intact(part.blob)) continue;
        upload.parts.delete(number);
        lost.push(
          `s3://${bucket.name}/${upload.key} upload ${upload.uploadId} part ${number}: its blob file is missing`,
        );
      }
    }
  }
  return { records: lost.length > 0 ? snapshotRecords(buckets) : records, lost };
}

/** Where the blob files of a data directory live: the store and the repair read the same place. */
function blobDirectoryOf(dataDir: string): string {
  return join(dataDir, "s3", "blobs");
}

/** Every blob segment the state names (object versions and upload parts), by id. */
function referencedSegments(buckets: Map<string, BucketState>): Map<string, BlobSegment> {
  const segments = new Map<string, BlobSegment>();
  for (const bucket of buckets.values()) {
    for (const history of bucket.versions.values())
      for (const entry of blobsOf(history)) for (const segment of entry) segments.set(segment.id, segment);
    for (const upload of bucket.uploads.values())
      for (const part of upload.parts.values())
        for (const segment of part.blob) segments.set(segment.id, segment);
  }
  return segments;
}

/** An error and its cause, on one line. */
function errorText(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
