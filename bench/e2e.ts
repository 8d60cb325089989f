import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import pLimit from "p-limit";
import { repoRoot } from "../src/artifact/paths.ts";
import type { AwsClients } from "../src/aws/clients.ts";
import { partitionKey, sortKey } from "../src/function/record.ts";
import { scanRecords } from "../src/pipeline/records.ts";
import { defineStack } from "../src/stack/spec.ts";
import { peakRssMb, treeRssMb } from "./engine-process.ts";
import { type ObserverKind, observeWritten } from "./written-observer.ts";

/** The end-to-end load (bench/run.ts and bench/profile.ts): how many objects, how many uploaders, how observed. */
export interface Load {
  objects: number;
  concurrency: number;
  observe: ObserverKind;
}

const stack = defineStack();

/** Mixed fixtures in the 5–100 KB range, as the issue asks. */
export const fixtures = ["cat.jpg", "my cat.jpg", "sunset.png", "leaf.webp", "large photo (1).jpg"].map(
  (name) => ({
    name,
    body: readFileSync(join(repoRoot, "fixtures", name)),
    contentType: name.endsWith(".png") ? "image/png" : name.endsWith(".webp") ? "image/webp" : "image/jpeg",
  }),
);

export interface E2eRun {
  /** Latency of each upload, by its index (the first `warmUpUploads` include the environments' cold starts). */
  latencies: number[];
  objectsPerSec: number;
  peakEngineRssMb: number;
  peakTreeRssMb: number;
}

/**
 * 16 uploaders, each putting an object and waiting for its record before the next (closed loop, so latency is
 * the pipeline's, not a backlog's). Latency: PutObject acknowledged → the function's `written` line for the key,
 * as the observer sees it (the engine's event stream by default; see bench/written-observer.ts) rather than a
 * GetItem poll per object, which would load the engine more than the pipeline does. A scan at the end confirms
 * every record is in the table.
 */
export async function endToEnd(
  endpoint: string,
  clients: AwsClients,
  pid: number | undefined,
  prefix: string,
  load: Load,
): Promise<E2eRun> {
  const { objects: e2eObjects, observe } = load;
  const waiting = new Map<string, (at: number) => void>();
  const written = new Map<string, number>();
  let peakTree = 0;
  const sampler = pid ? setInterval(() => (peakTree = Math.max(peakTree, treeRssMb(pid))), 100) : undefined;
  const observer = await observeWritten(
    observe,
    { endpoint, clients, logGroupName: stack.logGroupName },
    (key, at) => {
      if (written.has(key)) return;
      written.set(key, at);
      waiting.get(key)?.(at);
    },
  );
  const latencies: number[] = new Array(e2eObjects);
  const started = performance.now();
  await eachObject(load, async (i) => {
    const object = benchObject(stack.bucket, prefix, i);
    const seen = new Promise<number>((resolve, reject) => {
      waiting.set(object.Key, resolve);
      setTimeout(
        () => reject(new Error(`end-to-end: no record for ${object.Key} after 60 s`)),
        60_000,
      ).unref();
    });
    await clients.s3.send(new PutObjectCommand(object));
    const acknowledged = performance.now();
    // The line may have been seen before the SDK resolved PutObject: latency 0 then, not negative.
    const at = written.get(object.Key) ?? (await seen);
    latencies[i] = Math.max(0, at - acknowledged);
    waiting.delete(object.Key);
  });
  const seconds = (performance.now() - started) / 1000;
  await observer.stop();
  if (sampler) clearInterval(sampler);
  const records = (await scanRecords(clients, stack)).filter((r) => r.key.startsWith(prefix)).length;
  if (records !== e2eObjects) throw new Error(`end-to-end: ${records} records for ${e2eObjects} uploads`);
  return {
    latencies,
    objectsPerSec: e2eObjects / seconds,
    peakEngineRssMb: pid ? peakRssMb(pid) : Number.NaN,
    peakTreeRssMb: peakTree,
  };
}

/** The bench's i-th object: the fixtures in rotation, keyed `<prefix><i>-<fixture name>`. */
export function benchObject(bucket: string, prefix: string, i: number) {
  const fixture = fixtures[i % fixtures.length] as (typeof fixtures)[number];
  return {
    Bucket: bucket,
    Key: `${prefix}${i}-${fixture.name}`,
    Body: fixture.body,
    ContentType: fixture.contentType,
  };
}

/** Runs `work` for each of the run's objects, `concurrency` at a time (16 closed-loop uploaders). */
async function eachObject(load: Load, work: (index: number) => Promise<void>): Promise<void> {
  const limit = pLimit(load.concurrency);
  const e2eObjects = load.objects;
  await Promise.all(Array.from({ length: e2eObjects }, (_, i) => limit(() => work(i))));
}

/** The same objects by a script with the raw SDK: PutObject + HeadObject + conditional PutItem, no events. */
export async function floor(
  clients: AwsClients,
  bucket: string,
  prefix: string,
  load: Load,
): Promise<number> {
  const e2eObjects = load.objects;
  const started = performance.now();
  await eachObject(load, async (i) => {
    const object = benchObject(bucket, prefix, i);
    const key = object.Key;
    await clients.s3.send(new PutObjectCommand(object));
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    await clients.documents.send(
      new PutCommand({
        TableName: stack.table,
        Item: {
          PK: partitionKey(bucket, key),
          SK: sortKey(head.ETag ?? ""),
          size: head.ContentLength,
        },
        ConditionExpression: "attribute_not_exists(PK) AND attribute_not_exists(SK)",
      }),
    );
  });
  return e2eObjects / ((performance.now() - started) / 1000);
}
