import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import type { ObjectCreatedEvent } from "../../src/engine/types.ts";
import { findAwsCliV2 } from "../helpers/aws-cli.ts";
import { awsCli, bytesOf, failure, s3Client } from "../helpers/s3.ts";

const cli = findAwsCliV2();

/** Every version and delete marker of a bucket, paged, as `key@versionId[ marker][ latest]` lines. */
async function allVersions(s3: S3Client, bucket: string): Promise<string[]> {
  const lines: string[] = [];
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page: ListObjectVersionsCommandOutput = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 2, ...markers }),
    );
    for (const v of page.Versions ?? []) lines.push(`${v.Key}@${v.VersionId}${v.IsLatest ? " latest" : ""}`);
    for (const m of page.DeleteMarkers ?? [])
      lines.push(`${m.Key}@${m.VersionId} marker${m.IsLatest ? " latest" : ""}`);
    if (!page.IsTruncated) return lines.sort();
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

describe("S3 versioning with history", () => {
  let engine: Engine;
  let s3: S3Client;
  const bucket = "versioned";
  const events: ObjectCreatedEvent[] = [];
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "s3-versioning-"));
    engine = await startEngine({ port: 0 });
    engine.context.events.on("objectCreated", (event) => events.push(event));
    s3 = s3Client(engine.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("keeps every version readable by id, and events carry the version id", async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "doc", Body: "one" }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "doc", Body: "two!" }));

    const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc" }));
    const first = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: "doc", VersionId: v1.VersionId }),
    );
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "doc", VersionId: v1.VersionId }),
    );
    const unknown = await failure(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doc", VersionId: "no-such-version" })),
    );

    expect(v1.VersionId).not.toBe(v2.VersionId);
    expect((await bytesOf(current.Body)).toString()).toBe("two!");
    expect(current.VersionId).toBe(v2.VersionId);
    expect((await bytesOf(first.Body)).toString()).toBe("one");
    expect(head).toMatchObject({ ContentLength: 3, VersionId: v1.VersionId });
    expect(unknown).toMatchObject({ name: "NoSuchVersion", status: 404 });
    expect(events.filter((e) => e.key === "doc").map((e) => e.versionId)).toEqual([
      v1.VersionId,
      v2.VersionId,
    ]);
  });

  it("DELETE adds a delete marker; deleting the marker brings the object back; DELETE ?versionId removes a version", async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "gone", Body: "a" }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "gone", Body: "b" }));

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "gone" }));
    const hidden = await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "gone" })));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "gone" }));
    const history = await allVersions(s3, bucket);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "gone", VersionId: deleted.VersionId }));
    const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "gone" }));
    const removed = await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: "gone", VersionId: v2.VersionId }),
    );
    const previous = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "gone" }));

    expect(deleted).toMatchObject({ DeleteMarker: true });
    expect(deleted.VersionId).toBeTruthy();
    expect(hidden).toMatchObject({ name: "NoSuchKey", status: 404 });
    expect(listed.KeyCount).toBe(0);
    expect(history.filter((line) => line.startsWith("gone@"))).toEqual(
      [`gone@${v1.VersionId}`, `gone@${v2.VersionId}`, `gone@${deleted.VersionId} marker latest`].sort(),
    );
    expect((await bytesOf(back.Body)).toString()).toBe("b");
    expect(removed.VersionId).toBe(v2.VersionId);
    expect((await bytesOf(previous.Body)).toString()).toBe("a");
  });

  it("copies from a named version, and DeleteObjects removes versions and adds markers", async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "old" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "new" }));

    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "dst",
        CopySource: `${bucket}/src?versionId=${v1.VersionId}`,
      }),
    );
    const copied = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst" }));
    const batch = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: "src", VersionId: v1.VersionId }, { Key: "dst" }] },
      }),
    );

    expect(copy.CopySourceVersionId).toBe(v1.VersionId);
    expect((await bytesOf(copied.Body)).toString()).toBe("old");
    expect(batch.Deleted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: "src", VersionId: v1.VersionId }),
        expect.objectContaining({ Key: "dst", DeleteMarker: true }),
      ]),
    );
    expect((await allVersions(s3, bucket)).some((line) => line === `src@${v1.VersionId}`)).toBe(false);
  });

  it("writes `null` versions while suspended, each replacing the last, and keeps the earlier history", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "suspended" }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: "suspended", VersioningConfiguration: { Status: "Enabled" } }),
    );
    const kept = await s3.send(new PutObjectCommand({ Bucket: "suspended", Key: "k", Body: "kept" }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: "suspended",
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );

    const first = await s3.send(new PutObjectCommand({ Bucket: "suspended", Key: "k", Body: "n1" }));
    await s3.send(new PutObjectCommand({ Bucket: "suspended", Key: "k", Body: "n2" }));
    const refusal = await failure(s3.send(new DeleteBucketCommand({ Bucket: "suspended" })));

    // The PutObject API reference's "versioning suspended" sample answers no x-amz-version-id; the stored
    // version is still "null" (listed below, and on GET/HEAD).
    expect(first.VersionId).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: "suspended", Key: "k" }))).VersionId).toBe("null");
    // allVersions sorts its lines, and a random version id may sort either side of "null".
    expect(await allVersions(s3, "suspended")).toEqual([`k@${kept.VersionId}`, "k@null latest"].sort());
    expect(refusal).toMatchObject({ name: "BucketNotEmpty", status: 409 });
  });

  describe.skipIf(!cli)("with the AWS CLI v2", () => {
    const aws = (...args: string[]) => awsCli(cli as string, engine.endpoint, ...args);

    it("enables versioning, lists versions and reads an old one back", async () => {
      await aws("s3api", "create-bucket", "--bucket", "cli-versions");
      await aws(
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "cli-versions",
        "--versioning-configuration",
        "Status=Enabled",
      );
      const body = join(workDir, "body.txt");
      await writeFile(body, "first");
      const first = JSON.parse(
        await aws("s3api", "put-object", "--bucket", "cli-versions", "--key", "k", "--body", body),
      );
      await writeFile(body, "second");
      await aws("s3api", "put-object", "--bucket", "cli-versions", "--key", "k", "--body", body);

      const status = JSON.parse(await aws("s3api", "get-bucket-versioning", "--bucket", "cli-versions"));
      const listed = JSON.parse(await aws("s3api", "list-object-versions", "--bucket", "cli-versions"));
      const out = join(workDir, "old.txt");
      await aws(
        "s3api",
        "get-object",
        "--bucket",
        "cli-versions",
        "--key",
        "k",
        "--version-id",
        first.VersionId,
        out,
      );

      expect(status.Status).toBe("Enabled");
      expect(listed.Versions).toHaveLength(2);
      expect(await readFile(out, "utf8")).toBe("first");
    });
  });
});

describe("S3 versions persist across restarts (--persist journal)", () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "s3-versions-persist-"));
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("replays versions and delete markers, before and after compaction", async () => {
    const first = await startEngine({ port: 0, dataDir, s3JournalCompactAfter: 4 });
    const s3 = s3Client(first.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: "kept" }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: "kept", VersioningConfiguration: { Status: "Enabled" } }),
    );
    const v1 = await s3.send(new PutObjectCommand({ Bucket: "kept", Key: "k", Body: "v1" }));
    for (const body of ["v2", "v3"])
      await s3.send(new PutObjectCommand({ Bucket: "kept", Key: "k", Body: body }));
    await s3.send(new DeleteObjectCommand({ Bucket: "kept", Key: "k" }));
    const before = await allVersions(s3, "kept");
    s3.destroy();
    await first.stop();

    const restarted = await startEngine({ port: 0, dataDir });
    const again = s3Client(restarted.endpoint);
    const after = await allVersions(again, "kept");
    const old = await again.send(new GetObjectCommand({ Bucket: "kept", Key: "k", VersionId: v1.VersionId }));
    const current = await failure(again.send(new GetObjectCommand({ Bucket: "kept", Key: "k" })));
    again.destroy();
    await restarted.stop();

    expect(before).toHaveLength(4);
    expect(after).toEqual(before);
    expect((await bytesOf(old.Body)).toString()).toBe("v1");
    expect(current).toMatchObject({ name: "NoSuchKey" });
  });
});
