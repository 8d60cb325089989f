import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorName } from "../../src/aws/errors.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { externalEndpoint, startEngineProcess } from "../helpers/engine.ts";
import { eventually } from "../helpers/poll.ts";
import { prng } from "../helpers/prng.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const BUCKET = "compaction";
const KEYS = Array.from({ length: 20 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
const COMPACTED = /s3: compacted the journal/g;

function client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    credentials,
    forcePathStyle: true,
    // Fail fast when the engine is gone: a retried PutObject would blur which write was acknowledged.
    maxAttempts: 1,
  });
}

const journalPath = (dataDir: string) => join(dataDir, "s3", "journal.log");
const blobFiles = async (dataDir: string) => (await readdir(join(dataDir, "s3", "blobs"))).length;

/** Every key's bytes as the engine serves them now; undefined for a missing key. */
async function readAll(endpoint: string): Promise<Map<string, string | undefined>> {
  const s3 = client(endpoint);
  const found = new Map<string, string | undefined>();
  try {
    for (const key of KEYS) {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        found.set(
          key,
          md5(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
        );
      } catch (error) {
        if (errorName(error) !== "NoSuchKey") throw error;
        found.set(key, undefined);
      }
    }
  } finally {
    s3.destroy();
  }
  return found;
}

// Starts its own engines on private data directories: nothing to test against an external endpoint.
describe.skipIf(externalEndpoint)("S3 persistence: journal compaction while running", () => {
  let parent: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), "s3-compaction-"));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it("keeps the journal bounded over 2,000 overwrites of 20 keys, and a restart serves the last bytes of each", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const dataDir = join(parent, "bounded");
    const log: string[] = [];
    let engine: Engine = await startEngine({
      port: 0,
      dataDir,
      s3JournalCompactAfter: 100,
      log: (message) => log.push(message),
    });
    const s3 = client(engine.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const last = new Map<string, string>();
    let largestJournal = 0;

    // Act: one writer per key, 100 overwrites each, all keys at once.
    try {
      await Promise.all(
        KEYS.map(async (key, index) => {
          // Seeded sizes: the same bodies' lengths every run.
          const random = prng(index + 1);
          for (let round = 0; round < 100; round++) {
            const body = randomBytes(1024 + Math.floor(random() * 3072));
            await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
            last.set(key, md5(body));
            largestJournal = Math.max(largestJournal, (await stat(journalPath(dataDir))).size);
          }
        }),
      );
    } finally {
      s3.destroy();
      await engine.stop();
    }
    const blobsAfterStop = await blobFiles(dataDir);
    engine = await startEngine({ port: 0, dataDir });
    let served: Map<string, string | undefined>;
    let liveJournal: number;
    try {
      // Opening compacts the journal to exactly the live state: a bucket and 20 objects.
      liveJournal = (await stat(journalPath(dataDir))).size;
      served = await readAll(engine.endpoint);
    } finally {
      await engine.stop();
    }

    // Assess
    const compactions = log.join("\n").match(COMPACTED)?.length ?? 0;
    console.log(
      `2,000 overwrites: ${compactions} compactions, journal at most ${largestJournal} bytes, live state ${liveJournal} bytes`,
    );
    expect(log.filter((line) => line.includes("compaction failed"))).toEqual([]);
    expect(compactions).toBeGreaterThanOrEqual(10);
    // Live state plus at most 100 appends and one batch since the last compaction; without it, ~95x.
    expect(largestJournal).toBeLessThan(10 * liveJournal);
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(last));
    // Replaced bytes were deleted while running (or at stop): one blob file per live object.
    expect(blobsAfterStop).toBe(KEYS.length);
    expect(await blobFiles(dataDir)).toBe(KEYS.length);
  });

  it("loses no acknowledged overwrite when the engine is SIGKILLed while compacting under heavy overwrites", {
    timeout: 120_000,
  }, async () => {
    // Prepare: a threshold of 50 records compacts every few group commits.
    const dataDir = join(parent, "killed");
    const engine = await startEngineProcess({ dataDir, s3JournalCompactAfter: 50 });
    const s3 = client(engine.endpoint);
    /** Per key: the last acknowledged bytes, and the bytes of the write still unanswered. */
    const acked = new Map<string, string>();
    const inFlight = new Map<string, string>();
    let acks = 0;
    let killed = false;

    // Act: one writer per key overwriting it as fast as it can, killed mid-stream after several compactions.
    try {
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      const writers = KEYS.map(async (key, index) => {
        const random = prng(100 + index);
        while (!killed) {
          const body = randomBytes(2048 + Math.floor(random() * 14_336));
          inFlight.set(key, md5(body));
          try {
            await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
          } catch (error) {
            if (!killed) throw error;
            return;
          }
          acked.set(key, md5(body));
          inFlight.delete(key);
          acks += 1;
        }
      });
      await eventually(
        "1,000 acknowledged overwrites and 5 compactions",
        () => (acks >= 1000 && (engine.stderr().match(COMPACTED)?.length ?? 0) >= 5) || undefined,
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      killed = true;
      const gone = engine.kill();
      await Promise.all(writers);
      await gone;
    } finally {
      killed = true;
      // Gone before the restart below opens the same data dir.
      await engine.kill();
      s3.destroy();
    }
    const restarted = await startEngine({ port: 0, dataDir });
    let served: Map<string, string | undefined>;
    try {
      served = await readAll(restarted.endpoint);
    } finally {
      await restarted.stop();
    }

    // Assess: every key holds its last acknowledged bytes, or those of the one write the kill left unanswered.
    const problems: string[] = [];
    for (const key of KEYS) {
      const got = served.get(key);
      const allowed = [acked.get(key), inFlight.get(key)].filter((value) => value !== undefined);
      if (acked.has(key) && got === undefined) problems.push(`${key}: acknowledged but missing`);
      if (got !== undefined && !allowed.includes(got)) problems.push(`${key}: ${got} is none of ${allowed}`);
    }
    console.log(
      `SIGKILL after ${acks} acknowledged overwrites and ${engine.stderr().match(COMPACTED)?.length} compactions; ${inFlight.size} writes unanswered`,
    );
    expect(problems).toEqual([]);
    expect(acked.size).toBe(KEYS.length);
    // The startup sweep removed every blob the crash left unreferenced: one file per live object.
    expect(await blobFiles(dataDir)).toBe([...served.values()].filter(Boolean).length);
  });
});
