/**
 * `--persist` throughput beside memory mode, per service, in one run (issue 22): S3 PutObject, SQS SendMessage and
 * Logs PutLogEvents at concurrency 16 against an in-process engine, once in memory and once with a data directory
 * (every answer waits for its fsynced journal record). Target: persist ≥ 0.5 × memory. `npm run bench -- --only
 * persist` runs this section alone; the full bench runs it last. Figures merge into results.json under `persist`.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import pLimit from "p-limit";
import { createAwsClients } from "../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../src/aws/clients.ts";
import { startEngine } from "../src/engine/index.ts";
import { round, summarize } from "./stats.ts";

const CONCURRENCY = 16;

type Workload = "s3Put" | "sqsSend" | "logsPut";

/** Operations per second of one workload against a fresh engine (memory, or persisting into a new directory). */
async function measure(workload: Workload, persist: boolean, operations: number): Promise<number> {
  const dataDir = persist ? await mkdtemp(join(tmpdir(), "bench-persist-")) : undefined;
  const engine = await startEngine({ port: 0, ...(dataDir ? { dataDir } : {}) });
  const clients: AwsClients = createAwsClients({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: EMULATOR_CREDENTIALS,
  });
  try {
    const run = await prepare(clients, workload);
    const limit = pLimit(CONCURRENCY);
    // A short warm-up (connections, JIT), then the timed operations.
    await Promise.all(Array.from({ length: 32 }, (_, index) => limit(() => run(-index - 1))));
    const started = performance.now();
    await Promise.all(Array.from({ length: operations }, (_, index) => limit(() => run(index))));
    return operations / ((performance.now() - started) / 1000);
  } finally {
    clients.destroy();
    await engine.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

async function prepare(
  clients: AwsClients,
  workload: Workload,
): Promise<(index: number) => Promise<unknown>> {
  switch (workload) {
    case "s3Put": {
      await clients.s3.send(new CreateBucketCommand({ Bucket: "bench" }));
      const body = Buffer.alloc(1024, 7);
      return (index) =>
        clients.s3.send(new PutObjectCommand({ Bucket: "bench", Key: `k${index}`, Body: body }));
    }
    case "sqsSend": {
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: "bench" }));
      return (index) =>
        clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `message ${index}` }));
    }
    case "logsPut": {
      await clients.logs.send(new CreateLogGroupCommand({ logGroupName: "bench" }));
      await clients.logs.send(new CreateLogStreamCommand({ logGroupName: "bench", logStreamName: "s" }));
      return (index) =>
        clients.logs.send(
          new PutLogEventsCommand({
            logGroupName: "bench",
            logStreamName: "s",
            logEvents: [{ timestamp: Date.now(), message: `event ${index}` }],
          }),
        );
    }
  }
}

export interface PersistFigure {
  memoryOpsPerSec: number;
  persistOpsPerSec: number;
  ratio: number;
}

/** Memory and persist throughput of each workload, medians of `runs`, alternating the modes within each run. */
export async function measurePersist(
  runs: number,
  operations = 1500,
): Promise<Record<Workload, PersistFigure>> {
  const figures = {} as Record<Workload, PersistFigure>;
  for (const workload of ["s3Put", "sqsSend", "logsPut"] as const) {
    const memory: number[] = [];
    const persisted: number[] = [];
    for (let run = 0; run < runs; run++) {
      memory.push(await measure(workload, false, operations));
      persisted.push(await measure(workload, true, operations));
    }
    const memoryOpsPerSec = round(summarize(memory).median);
    const persistOpsPerSec = round(summarize(persisted).median);
    figures[workload] = {
      memoryOpsPerSec,
      persistOpsPerSec,
      ratio: round(persistOpsPerSec / memoryOpsPerSec, 2),
    };
  }
  return figures;
}

const labels: Record<Workload, string> = {
  s3Put: "S3 PutObject (1 KiB)",
  sqsSend: "SQS SendMessage",
  logsPut: "Logs PutLogEvents",
};

/** Measures, prints the table, and merges the figures into results.json under `persist`. */
export async function persistSection(resultsPath: string, runs: number): Promise<void> {
  console.log(`\nbench: --persist beside memory, ${runs} runs, concurrency ${CONCURRENCY}`);
  const figures = await measurePersist(runs);
  for (const [workload, figure] of Object.entries(figures) as Array<[Workload, PersistFigure]>) {
    console.log(
      `  ${labels[workload].padEnd(22)}  ${`${figure.persistOpsPerSec} / ${figure.memoryOpsPerSec} ops/s = ${figure.ratio}`.padEnd(34)}  target ≥ 0.5  ${figure.ratio >= 0.5 ? "met" : "MISSED"}`,
    );
  }
  const previous = existsSync(resultsPath)
    ? (JSON.parse(readFileSync(resultsPath, "utf8")) as Record<string, unknown>)
    : {};
  writeFileSync(resultsPath, `${JSON.stringify({ ...previous, persist: figures }, null, 2)}\n`);
}
