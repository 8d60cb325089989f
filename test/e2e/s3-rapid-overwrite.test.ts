import { PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageMetadataItem } from "../../src/function/record.ts";
import { scanRecords } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { useEngine } from "../helpers/engine.ts";
import { ActivityTally, embeddedEngine, eventually, provisionPipeline } from "../helpers/pipeline.ts";

const stack = defineStack();
const KEYS = 50;
const WRITES = 3;

interface Written {
  key: string;
  etag: string;
  size: number;
  versionId?: string;
  sequencer?: string;
}

/**
 * The function must describe the version an event names, however fast a key is overwritten: 50 keys, each
 * written 3 times back to back (sizes differ per write, so a record that took one version's ETag and
 * another's size would show).
 */
describe.skipIf(process.env.PIPELINE_E2E_ENDPOINT)("rapid overwrite through S3 -> Lambda -> DynamoDB", () => {
  const target = useEngine();
  let tally: ActivityTally;
  const sequencers = new Map<string, string>();

  beforeAll(async () => {
    await provisionPipeline(target.clients, stack);
    const engine = embeddedEngine(target);
    tally = new ActivityTally(engine.context);
    engine.context.events.on("objectCreated", (event) =>
      sequencers.set(`${event.key}\u0000${event.eTag}`, event.sequencer),
    );
  }, 120_000);

  afterAll(() => tally?.close());

  /** Writes every key WRITES times, keys in parallel, each key's writes back to back; waits until all events settled. */
  async function overwrite(prefix: string): Promise<Written[]> {
    const before = tally.count("s3.delivery.queued");
    const written = (
      await Promise.all(
        Array.from({ length: KEYS }, async (_, index) => {
          const key = `${stack.uploadPrefix}${prefix}/${index}.jpg`;
          const versions: Written[] = [];
          for (let round = 0; round < WRITES; round++) {
            const body = `${key} write ${round} ${"x".repeat(round * 7)}`;
            const put = await target.clients.s3.send(
              new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
            );
            const entry: Written = {
              key,
              etag: (put.ETag ?? "").replace(/"/g, ""),
              size: Buffer.byteLength(body),
            };
            if (put.VersionId) entry.versionId = put.VersionId;
            versions.push(entry);
          }
          return versions;
        }),
      )
    ).flat();
    await eventually(
      "every event of the overwrite to be processed",
      () => (tally.count("s3.delivery.queued") - before >= KEYS * WRITES && tally.settled ? true : undefined),
      { timeoutMs: 90_000 },
    );
    for (const entry of written) {
      const sequencer = sequencers.get(`${entry.key}\u0000${entry.etag}`);
      if (sequencer) entry.sequencer = sequencer;
    }
    return written;
  }

  const recordsUnder = async (prefix: string): Promise<ImageMetadataItem[]> =>
    (await scanRecords(target.clients, stack)).filter((r) =>
      r.key.startsWith(`${stack.uploadPrefix}${prefix}/`),
    );

  it("on an unversioned bucket, records only whole versions (each from its own event), the last one always", async () => {
    const written = await overwrite("flat");
    const byEtag = new Map(written.map((w) => [`${w.key}\u0000${w.etag}`, w]));

    const records = await recordsUnder("flat");

    for (const record of records) {
      const version = byEtag.get(`${record.key}\u0000${record.etag}`);
      expect(version, `record ${record.key} ${record.etag} matches a write`).toBeDefined();
      expect(record.size).toBe(version?.size);
      expect(record.sequencer).toBe(version?.sequencer);
    }
    const lastWrites = written.filter((_, index) => index % WRITES === WRITES - 1);
    const recorded = new Set(records.map((r) => `${r.key}\u0000${r.etag}`));
    expect(lastWrites.filter((w) => !recorded.has(`${w.key}\u0000${w.etag}`))).toEqual([]);
    expect(tally.count("async.failed") + tally.count("async.retry")).toBe(0);
  }, 120_000);

  it("on a versioned bucket, writes one record per version: 150 records whose ETags match the versions", async () => {
    await target.clients.s3.send(
      new PutBucketVersioningCommand({
        Bucket: stack.bucket,
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
    const written = await overwrite("versioned");

    const records = await recordsUnder("versioned");

    expect(records).toHaveLength(KEYS * WRITES);
    const expected = written.map((w) => [w.key, w.versionId, w.etag, w.size, w.sequencer]).sort();
    const actual = records.map((r) => [r.key, r.versionId, r.etag, r.size, r.sequencer]).sort();
    expect(actual).toEqual(expected);
  }, 120_000);
});
