import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  PutItemCommand,
  ScanCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { repairStore } from "../../src/engine/repair.ts";
import { journalPath } from "../../src/engine/store/index.ts";
import { hasStackTrace, runCli, startCli } from "../helpers/cli.ts";

/**
 * The damage cases of issue 22, as a careless user would meet them: each one once destroyed or hid data. Damage
 * must now make the start refuse with a line naming the file and `pipeline repair`, and leave the file as it was.
 */
describe("--persist with a damaged store", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });
  const dataDir = async () => {
    const directory = await mkdtemp(join(tmpdir(), "store-damage-"));
    cleanup.push(() => rm(directory, { recursive: true, force: true }));
    return directory;
  };
  const start = async (directory: string, logs: string[] = []): Promise<Engine> => {
    const engine = await startEngine({ port: 0, dataDir: directory, log: (line) => logs.push(line) });
    cleanup.push(() => engine.stop());
    return engine;
  };
  const clientsOf = (engine: Engine) => {
    const clients = createAwsClients({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
    cleanup.push(async () => clients.destroy());
    return clients;
  };

  /** A queue "kept" holding `count` messages (10 per batch), in a data directory the engine then leaves. */
  const queueWithMessages = async (directory: string, count: number): Promise<string> => {
    const engine = await start(directory);
    const { sqs } = clientsOf(engine);
    const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "kept" }));
    for (let batch = 0; batch < count / 10; batch++) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 10 }, (_, index) => ({
            Id: `m${index}`,
            MessageBody: `b${batch}-${index}`,
          })),
        }),
      );
    }
    await engine.stop();
    return QueueUrl;
  };

  /** A bucket "kept" holding one object per key (its body the key), written through `engine`; its S3 client. */
  const bucketWithObjects = async (engine: Engine, keys: string[]) => {
    const { s3 } = clientsOf(engine);
    await s3.send(new CreateBucketCommand({ Bucket: "kept" }));
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: "kept", Key: key, Body: key }));
    return s3;
  };

  it("refuses to start on one byte changed in the first SQS record, and keeps the file", async () => {
    // Prepare
    const directory = await dataDir();
    await queueWithMessages(directory, 50);
    const file = journalPath(directory, "sqs");
    const bytes = await readFile(file);
    bytes[12] = bytes[12] === 0x41 ? 0x42 : 0x41;
    await writeFile(file, bytes);
    // Act
    const started = start(directory);
    // Assess
    await expect(started).rejects.toThrow(/damaged.*sqs.*pipeline repair --persist/s);
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });

  it("refuses to start on a damaged S3 metadata record instead of dropping the object", async () => {
    // Prepare
    const directory = await dataDir();
    const engine = await start(directory);
    await bucketWithObjects(engine, ["a", "b", "c"]);
    await engine.stop();
    const file = journalPath(directory, "s3");
    const text = await readFile(file, "utf8");
    const lines = text.split("\n");
    const target = lines.findIndex((line) => line.includes('"key":"b"'));
    lines[target] = (lines[target] as string).replace('"key":"b"', '"key":"x"');
    await writeFile(file, lines.join("\n"));
    // Act
    const started = start(directory);
    // Assess
    await expect(started).rejects.toThrow(/damaged.*s3.*pipeline repair --persist/s);
  });

  it("checks the DynamoDB store before ready: a corrupted table file refuses the start", async () => {
    // Prepare
    const directory = await dataDir();
    let engine = await start(directory);
    let { dynamodb } = clientsOf(engine);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: "records",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    // A table is CREATING for a moment (PutItem then answers ResourceNotFoundException, as on AWS).
    await waitUntilTableExists(
      { client: dynamodb, maxWaitTime: 30, minDelay: 0.1, maxDelay: 1 },
      { TableName: "records" },
    );
    for (let index = 0; index < 200; index++) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: "records",
          Item: { id: { S: `item-${index}` }, body: { S: "x".repeat(200) } },
        }),
      );
    }
    await engine.stop();
    // A restart turns LevelDB's log into a table file (.ldb).
    engine = await start(directory);
    ({ dynamodb } = clientsOf(engine));
    await dynamodb.send(new ScanCommand({ TableName: "records", Limit: 1 }));
    await engine.stop();
    const tables = (await readdir(join(directory, "dynamodb"))).filter((name) => name.endsWith(".ldb"));
    expect(tables.length).toBeGreaterThan(0);
    const table = join(directory, "dynamodb", tables[0] as string);
    const bytes = await readFile(table);
    bytes.fill(0x5a, 100, 4196);
    await writeFile(table, bytes);
    // Act
    const started = start(directory);
    // Assess
    await expect(started).rejects.toThrow(/damaged.*dynamodb.*pipeline repair --persist/s);
  });

  it("checks blob files at start: a deleted blob refuses the start instead of listing a key GET cannot read", async () => {
    // Prepare
    const directory = await dataDir();
    const engine = await start(directory);
    await bucketWithObjects(engine, ["a"]);
    await engine.stop();
    const blobs = await blobFiles(join(directory, "s3", "blobs"));
    expect(blobs).toHaveLength(1);
    await unlink(blobs[0] as string);
    // Act
    const started = start(directory);
    // Assess
    await expect(started).rejects.toThrow(/missing.*blob.*pipeline repair --persist/s);
    const report = await repairStore(directory);
    expect(report.entries.find((entry) => entry.file.endsWith(join("s3", "journal.log")))?.lost).toEqual([
      "s3://kept/a (version null): its blob file is missing or short",
    ]);
    const repaired = await start(directory);
    const listed = await clientsOf(repaired).s3.send(new ListObjectsV2Command({ Bucket: "kept" }));
    expect(listed.KeyCount).toBe(0);
  });

  it("up --persist refuses in one line naming the file; repair keeps the damaged file aside and salvages the rest", async () => {
    // Prepare: 20 messages, then one byte changed in the 6th record of the SQS journal.
    const directory = await dataDir();
    const QueueUrl = await queueWithMessages(directory, 20);
    const file = journalPath(directory, "sqs");
    const lines = (await readFile(file, "utf8")).split("\n");
    lines[5] = (lines[5] as string).replace('"body":"', '"body":"X');
    const damaged = lines.join("\n");
    await writeFile(file, damaged);
    // Act
    const refused = await runCli(["up", "--bare", "--port", "0", "--persist", directory]);
    const repaired = await runCli(["repair", "--persist", directory]);
    const after = await start(directory);
    // Assess: one line, no stack trace, the file untouched until the repair, which kept it and lost one record.
    expect(refused.code).not.toBe(0);
    const refusal = refused.stderr.trim().split("\n");
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(
      /store damaged: .*sqs\/journal\.log: 1 damaged record\(s\).*Run: pipeline repair --persist /,
    );
    expect(hasStackTrace(refused.stderr)).toBe(false);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout + repaired.stderr).toMatch(
      /not recovered: \d+ byte\(s\) at byte \d+: a damaged record/,
    );
    const kept = (await readdir(directory)).filter((name) => name.startsWith("damaged-"));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(directory, kept[0] as string, "sqs", "journal.log"), "utf8")).toBe(damaged);
    const url = QueueUrl.replace(/^http:\/\/[^/]+/, after.endpoint);
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await clientsOf(after).sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
      );
      if (Messages.length === 0) break;
      bodies.push(...Messages.map((message) => message.Body ?? ""));
    }
    expect(bodies).toHaveLength(19);
  }, 90_000);

  it("a store another engine holds open is in use, not damaged: up refuses without naming a repair, and repair refuses and moves nothing", async () => {
    // Prepare: an engine serving the directory (dynalite holds LevelDB's LOCK), with one object stored.
    const directory = await dataDir();
    const s3 = await bucketWithObjects(await start(directory), ["a"]);
    const journalBefore = await readFile(journalPath(directory, "s3"));
    // Act: `pipeline up` and `pipeline repair` in processes of their own, as a user runs them (the same in one
    // process: the next case).
    const refused = await runCli(["up", "--bare", "--port", "0", "--persist", directory]);
    const repaired = await runCli(["repair", "--persist", directory]);
    // Assess
    for (const run of [refused, repaired]) {
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/store in use: .*Stop it, or use another --persist directory/);
      expect(lines[0]).not.toMatch(/damaged|pipeline repair/);
      expect(hasStackTrace(run.stderr)).toBe(false);
    }
    expect(refused.code).not.toBe(0);
    expect(repaired.code).toBe(2);
    expect((await readdir(directory)).filter((name) => name.startsWith("damaged-"))).toEqual([]);
    expect((await readFile(journalPath(directory, "s3"))).equals(journalBefore)).toBe(true);
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: "kept", Key: "a" }));
    expect(await Body?.transformToString()).toBe("a");
  }, 90_000);

  it("a second engine on the same directory in the same process is refused before it opens anything, whatever its DynamoDB backend", async () => {
    // Prepare: an engine serving the directory, with one object stored. Before the data directory had a lock of its
    // own, a second engine here found dynalite's LevelDB "already held by process" only after LevelDB had opened and
    // closed its LOCK file, and that close dropped the first engine's fcntl lock; with DynamoDB Local, nothing
    // refused it at all, and two engines appended to one S3 journal.
    const directory = await dataDir();
    const s3 = await bucketWithObjects(await start(directory), ["a"]);
    const journalBefore = await readFile(journalPath(directory, "s3"));
    // Act
    const refusals = await Promise.all(
      (["dynalite", "dynamodb-local"] as const).map((dynamodbBackend) =>
        startEngine({ port: 0, dataDir: directory, dynamodbBackend }).then(
          async (engine) => {
            await engine.stop();
            return "started";
          },
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
      ),
    );
    const repair = await repairStore(directory).then(
      () => "repaired",
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    // Assess: each refused in one message naming the lock; nothing changed; the first engine still serves and
    // still holds the directory (a fresh process is refused too, so its fcntl lock was not dropped).
    for (const refusal of [...refusals, repair]) {
      expect(refusal).toMatch(
        /^(engine could not start: )?store in use: its lock .*engine\.lock is held .*Stop it, or use another --persist directory$/,
      );
    }
    expect((await readFile(journalPath(directory, "s3"))).equals(journalBefore)).toBe(true);
    expect((await readdir(directory)).filter((name) => name.startsWith("damaged-"))).toEqual([]);
    await s3.send(new PutObjectCommand({ Bucket: "kept", Key: "b", Body: "b" }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "kept" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["a", "b"]);
    const elsewhere = await runCli(["up", "--bare", "--port", "0", "--persist", directory]);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/store in use: its lock/);
  }, 90_000);

  it("the directory is free again once its engine stops, and at once after its process is SIGKILLed", async () => {
    // Prepare
    const directory = await dataDir();
    const first = await startEngine({ port: 0, dataDir: directory });
    await first.stop();
    // Act: in this process after stop(); then a process SIGKILLed while serving, and a start right after it exits.
    const second = await start(directory);
    await second.stop();
    const killed = startCli(["--json", "up", "--bare", "--port", "0", "--persist", directory]);
    await killed.waitForJson((line) => line.event === "ready");
    await killed.stop("SIGKILL");
    const third = await start(directory);
    // Assess
    expect(third.endpoint).toMatch(/^http:/);
  }, 90_000);

  it("still serves what it lists after a clean restart (control for the cases above)", async () => {
    // Prepare
    const directory = await dataDir();
    let engine = await start(directory);
    let clients = clientsOf(engine);
    await bucketWithObjects(engine, ["a"]);
    const { QueueUrl = "" } = await clients.sqs.send(new CreateQueueCommand({ QueueName: "kept" }));
    await clients.sqs.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "1", MessageBody: "one" }] }),
    );
    await engine.stop();
    // Act
    engine = await start(directory);
    clients = clientsOf(engine);
    // Assess
    const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: "kept" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["a"]);
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: "kept", Key: "a" }));
    expect(await got.Body?.transformToString()).toBe("a");
    const url = QueueUrl.replace(/^http:\/\/[^/]+/, engine.endpoint);
    const { Messages = [] } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(Messages.map((message) => message.Body)).toEqual(["one"]);
    expect((await stat(journalPath(directory, "sqs"))).size).toBeGreaterThan(0);
  });
});

async function blobFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}
