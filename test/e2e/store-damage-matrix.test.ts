import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { startEngine } from "../../src/engine/index.ts";
import { repairStore } from "../../src/engine/repair.ts";
import { DurableStore, journalPath, StoreDamagedError } from "../../src/engine/store/index.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { journalDirectories } from "../helpers/store.ts";

/**
 * Damage injected at many offsets of each service's store file (torn tail, flipped byte, truncation, a zero-filled
 * page). Each outcome must be one of: all data back; refused with the repair message (the file unchanged), and
 * repaired with the loss reported; or started with the loss reported (a torn tail). Never a silent loss.
 */
type Damage = { kind: string; apply: (bytes: Buffer) => Buffer };

function damages(length: number): Damage[] {
  const at = (fraction: number) => Math.min(length - 1, Math.max(0, Math.floor(length * fraction)));
  const flips = [0, 0.1, 0.25, 0.5, 0.75, 0.9].map((fraction) => at(fraction)).concat(length - 2);
  return [
    ...flips.map((offset) => ({
      kind: `flipped byte at ${offset}`,
      apply: (bytes: Buffer) => {
        const copy = Buffer.from(bytes);
        copy[offset] = (copy[offset] ?? 0) ^ 0x20;
        return copy;
      },
    })),
    ...[0.3, 0.6, 0.95].map((fraction) => ({
      kind: `truncated at ${at(fraction)}`,
      apply: (bytes: Buffer) => bytes.subarray(0, at(fraction)),
    })),
    {
      kind: "torn tail (half a record appended)",
      apply: (bytes: Buffer) => Buffer.concat([bytes, Buffer.from('0123abcd {"t":"half')]),
    },
    ...[0, 0.5].map((fraction) => ({
      kind: `zero-filled page at ${at(fraction)}`,
      apply: (bytes: Buffer) => {
        const copy = Buffer.from(bytes);
        copy.fill(0, at(fraction), Math.min(length, at(fraction) + 4096));
        return copy;
      },
    })),
  ];
}

/** Opens a journal through the layer as a service would, returning its records and what was reported. */
async function openRecords(dataDir: string, name: string) {
  const notices: string[] = [];
  const durable = new DurableStore(dataDir, (message) => notices.push(message));
  let records: string[] = [];
  const journal = await durable.open<unknown>(name, (read) => {
    records = read.map((record) => JSON.stringify(record));
    return read;
  });
  await durable.close();
  void journal;
  return { records, notices };
}

describe("Store damage matrix: every service's file, many offsets, four kinds of damage", () => {
  let pristine = "";
  const originals = new Map<string, string[]>();
  const scratch: string[] = [];

  beforeAll(async () => {
    pristine = await mkdtemp(join(tmpdir(), "store-matrix-"));
    const engine = await startEngine({ port: 0, dataDir: pristine });
    const common = { endpoint: engine.endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS };
    const s3 = new S3Client({ ...common, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "matrix" }));
    for (let index = 0; index < 12; index++)
      await s3.send(new PutObjectCommand({ Bucket: "matrix", Key: `k${index}`, Body: `body ${index}` }));
    const sqs = new SQSClient(common);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "matrix" }));
    for (let index = 0; index < 12; index++)
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `message ${index}` }));
    const logs = new CloudWatchLogsClient(common);
    await logs.send(new CreateLogGroupCommand({ logGroupName: "matrix" }));
    for (let index = 0; index < 12; index++)
      await logs
        .send(
          new PutLogEventsCommand({
            logGroupName: "matrix",
            logStreamName: "s",
            logEvents: [{ timestamp: Date.now(), message: `event ${index}` }],
          }),
        )
        .catch(async () => {
          const { CreateLogStreamCommand } = await import("@aws-sdk/client-cloudwatch-logs");
          await logs.send(new CreateLogStreamCommand({ logGroupName: "matrix", logStreamName: "s" }));
          index--;
        });
    const iam = new IAMClient(common);
    let roleArn = "";
    for (let index = 0; index < 6; index++) {
      const { Role } = await iam.send(
        new CreateRoleCommand({
          RoleName: `matrix-${index}`,
          AssumeRolePolicyDocument: JSON.stringify(defineStack().trustPolicy),
        }),
      );
      roleArn = Role?.Arn ?? "";
    }
    const lambda = new LambdaClient(common);
    for (let index = 0; index < 4; index++)
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: `matrix-${index}`,
          Runtime: "nodejs20.x",
          Role: roleArn,
          Handler: "index.handler",
          Code: {
            ZipFile: zipSync({ "index.mjs": strToU8(`export const handler = async () => ${index};`) }),
          },
        }),
      );
    for (const client of [s3, sqs, logs, iam, lambda]) client.destroy();
    await engine.stop();
    for (const name of journalDirectories) originals.set(name, (await openRecords(pristine, name)).records);
  }, 60_000);

  afterAll(async () => {
    for (const directory of [pristine, ...scratch]) await rm(directory, { recursive: true, force: true });
  });

  for (const name of journalDirectories) {
    it(`${name}: never loses data silently`, async () => {
      const original = originals.get(name) ?? [];
      // STS's journal holds one record (the engine's session secret); the others several.
      expect(original.length).toBeGreaterThan(0);
      const bytes = await readFile(journalPath(pristine, name));
      const outcomes: Record<string, number> = {};
      for (const damage of damages(bytes.length)) {
        // Prepare
        const directory = await mkdtemp(join(tmpdir(), "store-matrix-case-"));
        scratch.push(directory);
        await cp(pristine, directory, { recursive: true });
        const file = journalPath(directory, name);
        const damaged = damage.apply(bytes);
        await writeFile(file, damaged);
        // Act
        const opened: { records: string[]; notices: string[] } | Error = await openRecords(
          directory,
          name,
        ).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        // Assess
        let outcome: string;
        if (opened instanceof StoreDamagedError) {
          expect(opened.message, damage.kind).toMatch(
            new RegExp(
              `store damaged: .*${name}/journal\\.log.*nothing was changed\\. Run: pipeline repair --persist`,
            ),
          );
          expect((await readFile(file)).equals(damaged), damage.kind).toBe(true);
          const report = await repairStore(directory);
          const entry = report.entries.find((candidate) => candidate.file === file);
          expect(entry?.status, damage.kind).toBe("repaired");
          expect(entry?.lost.length, damage.kind).toBeGreaterThan(0);
          expect(report.keptIn, damage.kind).toBeDefined();
          expect((await readFile(journalPath(report.keptIn as string, name))).equals(damaged)).toBe(true);
          const after = await openRecords(directory, name);
          for (const record of after.records) expect(original, damage.kind).toContain(record);
          outcome = "refused, repaired with the loss reported";
        } else if (opened instanceof Error) {
          throw opened;
        } else if (opened.records.length === original.length && opened.notices.length === 0) {
          expect(opened.records, damage.kind).toEqual(original);
          outcome = "all data back";
        } else {
          // Anything short of everything must be said, with the file and the bytes dropped.
          expect(opened.notices, damage.kind).toEqual([
            expect.stringMatching(
              new RegExp(`dropped a torn tail of \\d+ byte\\(s\\) at the end of .*${name}/journal\\.log`),
            ),
          ]);
          for (const record of opened.records) expect(original, damage.kind).toContain(record);
          outcome = "started, loss reported";
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      // Damage to a journal's last record reads as a write cut off by a crash (dropped, and said); a journal of one
      // record (STS's) has no record before its last to find damaged.
      if (original.length > 1)
        expect(Object.keys(outcomes)).toContain("refused, repaired with the loss reported");
      else expect(Object.keys(outcomes)).toEqual(["started, loss reported"]);
    }, 60_000);
  }
});
