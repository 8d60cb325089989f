/**
 * `npx tsx bench/handler-warmup.ts [--invocations 250] [--warm-up 16] [--concurrency 1] [--from-source]`: the
 * function's handler (dist/function.zip's bundle, or src/function/handler.ts with `--from-source`) run in this
 * process against `pipeline up`, and this process's CPU per invocation over the measured ones. With the defaults it
 * is what each of the bench's four environments sees in a 1,000-object run (16 warm-up uploads, 250 each);
 * `--warm-up 300 --invocations 1000` is a warm process. The events name objects outside `uploads/`, so the pipeline
 * itself is not triggered. Why it exists: docs/benchmarks.md, eighth session.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { unzipSync } from "fflate";
import pLimit from "p-limit";
import { repoRoot } from "../src/artifact/paths.ts";
import { createAwsClients } from "../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../src/aws/clients.ts";
import { defineStack } from "../src/stack/spec.ts";
import { startUpProcess } from "./engine-process.ts";

const option = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const invocations = option("--invocations", 250);
const warmUp = option("--warm-up", 16);
const concurrency = option("--concurrency", 1);
const stack = defineStack();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const up = await startUpProcess([]);
const codeDirectory = mkdtempSync(join(tmpdir(), "handler-warmup-"));
try {
  // Objects to read back, outside the notification's prefix.
  const clients = createAwsClients({
    endpoint: up.endpoint,
    region: stack.region,
    credentials: EMULATOR_CREDENTIALS,
  });
  const body = readFileSync(join(repoRoot, "fixtures", "cat.jpg"));
  const objects: Array<{ key: string; eTag: string }> = [];
  const uploads = pLimit(16);
  await Promise.all(
    Array.from({ length: warmUp + invocations }, (_, index) =>
      uploads(async () => {
        const key = `handler-warmup/${index}.jpg`;
        const put = await clients.s3.send(
          new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
        );
        objects[index] = { key, eTag: (put.ETag ?? "").replaceAll('"', "") };
      }),
    ),
  );
  clients.destroy();

  // The function's own environment, as the engine gives it (the key pair is the emulator's).
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: up.endpoint,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    TABLE_NAME: stack.table,
    SOURCE_BUCKET: stack.bucket,
    AWS_LAMBDA_FUNCTION_NAME: stack.functionName,
  });
  let entry = join(repoRoot, "src", "function", "handler.ts");
  if (!process.argv.includes("--from-source")) {
    for (const [name, bytes] of Object.entries(
      unzipSync(readFileSync(join(repoRoot, "dist", "function.zip"))),
    )) {
      const path = join(codeDirectory, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
    entry = join(codeDirectory, "index.mjs");
  }
  const { handler } = (await import(entry)) as { handler: Handler };
  const event = ({ key, eTag }: { key: string; eTag: string }) => ({
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: stack.region,
        eventTime: new Date().toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: stack.bucket, arn: stack.arns.bucket },
          object: { key, size: body.length, eTag, sequencer: "0A" },
        },
      },
    ],
  });
  const context = (index: number) => ({
    awsRequestId: `handler-warmup-${index}`,
    functionName: stack.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: stack.arns.function,
    memoryLimitInMB: String(stack.memoryMb),
    getRemainingTimeInMillis: () => 30_000,
  });
  const invoke = async (from: number, to: number) => {
    const limit = pLimit(concurrency);
    await Promise.all(
      objects
        .slice(from, to)
        .map((object, offset) => limit(() => handler(event(object), context(from + offset)))),
    );
  };
  // The handler's log lines would be most of the output; they are counted instead.
  const write = process.stdout.write.bind(process.stdout);
  let lines = 0;
  process.stdout.write = (() => {
    lines++;
    return true;
  }) as typeof process.stdout.write;
  await invoke(0, warmUp);
  const before = process.cpuUsage();
  const started = performance.now();
  await invoke(warmUp, warmUp + invocations);
  const used = process.cpuUsage(before);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write = write;
  const perInvocation = (micros: number) => (micros / 1000 / invocations).toFixed(2);
  console.log(
    `handler ${process.argv.includes("--from-source") ? "from source" : "bundle"}, ${invocations} invocations after ${warmUp}, ${concurrency} at a time: CPU ${perInvocation(used.user + used.system)} ms each (user ${perInvocation(used.user)}, system ${perInvocation(used.system)}), ${(invocations / seconds).toFixed(0)}/s, ${lines} log lines`,
  );
} finally {
  rmSync(codeDirectory, { recursive: true, force: true });
  await up.stop();
}
