import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { onFailureQueueSource } from "../../src/dashboard/failed-events.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import type { FailedEvent } from "../../src/pipeline/failed-events.ts";
import { getRecord } from "../../src/pipeline/records.ts";
import { onFailureQueueUrl } from "../../src/stack/on-failure-queue.ts";
import { defineStack, type Stack } from "../../src/stack/spec.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { parseJson, runCli, useCliCleanup } from "../helpers/cli.ts";
import { externalEndpoint, useEngine } from "../helpers/engine.ts";
import { loadEvent, shapeOf } from "../helpers/events.ts";
import {
  eventually,
  failedEvents,
  type ServedEngine,
  setExecutionPolicy,
  startServedEngine,
  withoutAction,
} from "../helpers/pipeline.ts";
import { targetCapabilities } from "../helpers/target.ts";

const run = promisify(execFile);
const stack = defineStack();
const awsCli = findAwsCliV2();
const image = readFileSync(join(repoRoot, "fixtures/cat.jpg"));
/** Uploads that fail in each scenario. */
const N = 3;

interface FailedJson {
  events: FailedEvent[];
  redriven: string[];
  kept: Array<{ id: string; error: string }>;
}

/** The AWS CLI v2 against the endpoint, parsed JSON out. */
async function aws(endpoint: string, ...args: string[]): Promise<Record<string, unknown>> {
  if (!awsCli) throw new Error("AWS CLI v2 not found");
  const { stdout } = await run(awsCli, [...args, "--endpoint-url", endpoint, "--output", "json"], {
    env: awsCliEnvironment(endpoint),
    timeout: 30_000,
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

/** Messages in the on-failure queue (visible and in flight), as the AWS CLI reads its attributes. */
async function queueDepth(endpoint: string, s: Stack): Promise<number> {
  const { QueueUrl } = (await aws(
    endpoint,
    "sqs",
    "get-queue-url",
    "--queue-name",
    s.onFailureQueue.name,
  )) as {
    QueueUrl: string;
  };
  const { Attributes } = (await aws(
    endpoint,
    "sqs",
    "get-queue-attributes",
    "--queue-url",
    QueueUrl,
    "--attribute-names",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
  )) as { Attributes: Record<string, string> };
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

/** Every message body in the queue, read with visibility 0 (nothing is hidden or consumed). */
async function peekBodies(clients: AwsClients, s: Stack, expected: number): Promise<Map<string, unknown>> {
  const url = await onFailureQueueUrl(clients, s);
  const bodies = new Map<string, unknown>();
  await eventually(`${expected} distinct messages`, async () => {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    for (const m of Messages) bodies.set(String(m.MessageId), JSON.parse(String(m.Body)));
    return bodies.size >= expected ? true : undefined;
  });
  return bodies;
}

/**
 * Makes the function fail on every attempt: on the engine by narrowing its role (no dynamodb:PutItem), as the IAM
 * suites do; on a target that does not enforce IAM (LocalStack community), by pointing it at a table that does not
 * exist.
 */
async function breakFunction(clients: AwsClients, s: Stack): Promise<void> {
  if (targetCapabilities.enforcesIam)
    return setExecutionPolicy(clients, s, withoutAction("dynamodb:PutItem"));
  await clients.lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: s.functionName,
      Environment: { Variables: { ...s.environment, TABLE_NAME: "no-such-table" } },
    }),
  );
  await waitUntilFunctionUpdatedV2(
    { client: clients.lambda, maxWaitTime: 60 },
    { FunctionName: s.functionName },
  );
}

async function restoreFunction(clients: AwsClients, s: Stack): Promise<void> {
  if (targetCapabilities.enforcesIam) return setExecutionPolicy(clients, s);
  await clients.lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: s.functionName,
      Environment: { Variables: s.environment },
    }),
  );
  await waitUntilFunctionUpdatedV2(
    { client: clients.lambda, maxWaitTime: 60 },
    { FunctionName: s.functionName },
  );
}

/** Uploads N images: the first with the AWS CLI (`aws s3 cp`), the rest with the SDK; returns key → ETag. */
async function uploadImages(
  endpoint: string,
  clients: AwsClients,
  folder: string,
): Promise<Map<string, string>> {
  const uploaded = new Map<string, string>();
  const first = `${stack.uploadPrefix}${folder}/cli upload 0.jpg`;
  await aws(
    endpoint,
    "s3",
    "cp",
    "--only-show-errors",
    join(repoRoot, "fixtures/cat.jpg"),
    `s3://${stack.bucket}/${first}`,
  );
  const head = (await aws(endpoint, "s3api", "head-object", "--bucket", stack.bucket, "--key", first)) as {
    ETag: string;
  };
  uploaded.set(first, stripETagQuotes(head.ETag));
  for (let i = 1; i < N; i++) {
    const key = `${stack.uploadPrefix}${folder}/sdk+upload ${i}.jpg`;
    const put = await clients.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: image, ContentType: "image/jpeg" }),
    );
    uploaded.set(key, stripETagQuotes(put.ETag ?? ""));
  }
  return uploaded;
}

// LocalStack retries after LAMBDA_RETRY_BASE_DELAY seconds, then twice that (docker-compose.yml: 2 s), and starts a
// container per function: more time than the engine needs.
const scenarioTimeout = externalEndpoint ? 240_000 : 120_000;
const failureWait = externalEndpoint ? 120_000 : 30_000;

describe.skipIf(!awsCli)("Failed events: the on-failure queue, `pipeline failed` and its re-drive", () => {
  const target = useEngine({ lambda: { retryBaseDelayMs: 20 } });
  useCliCleanup();
  const cli = (...args: string[]) =>
    runCli(["--endpoint", target.endpoint, "--json", ...args], { timeoutMs: 120_000 });

  // `up` deploys dist/function.zip, the build `verify` compares with (LocalStack's stack comes from its hook).
  beforeAll(async () => {
    if (externalEndpoint) return;
    target.engine?.markReady();
    const up = await cli("up");
    expect(up.code, up.stderr).toBe(0);
  }, 120_000);

  it(`${N} failing uploads become ${N} AWS-shaped records in the queue; a re-drive keeps them while the function still fails, and --redrive-all after the fix writes ${N} records and empties the queue`, {
    timeout: scenarioTimeout,
  }, async () => {
    // Prepare
    expect(await queueDepth(target.endpoint, stack)).toBe(0);
    await breakFunction(target.clients, stack);

    // Act 1: uploads that fail every attempt.
    const uploaded = await uploadImages(target.endpoint, target.clients, "failed-events");

    // Assess 1: N messages, each Lambda's invocation record for one upload.
    await eventually(
      `${N} messages in ${stack.onFailureQueue.name}`,
      async () => ((await queueDepth(target.endpoint, stack)) === N ? true : undefined),
      { timeoutMs: failureWait, intervalMs: 250 },
    );
    const bodies = [...(await peekBodies(target.clients, stack, N)).values()] as Array<
      Record<string, unknown>
    >;
    const fixture = loadEvent("on-failure-retries-exhausted") as Record<string, unknown>;
    for (const body of bodies) {
      expect(Object.keys(body).sort()).toEqual(Object.keys(fixture).sort());
      expect(shapeOf(body.requestContext)).toEqual(shapeOf(fixture.requestContext));
      expect(shapeOf(body.responseContext)).toEqual(shapeOf(fixture.responseContext));
      expect(body.requestContext).toMatchObject({
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
        functionArn: expect.stringMatching(new RegExp(`^${stack.arns.function.replace(/[$]/g, "\\$")}(:|$)`)),
      });
      expect(body.responsePayload).toMatchObject({
        errorType: expect.any(String),
        errorMessage: expect.any(String),
      });
      expect((body.requestPayload as { Records: unknown[] }).Records).toHaveLength(1);
    }
    const listed = parseJson<FailedJson>(await cli("failed")).events;
    expect(listed.map((e) => e.keys[0]).sort()).toEqual([...uploaded.keys()].sort());
    for (const event of listed) {
      expect(event).toMatchObject({
        attempts: 3,
        condition: "RetriesExhausted",
        functionName: stack.functionName,
      });
      expect(event.errorMessage).toMatch(
        targetCapabilities.enforcesIam ? /dynamodb:PutItem/ : /no-such-table|ResourceNotFound/,
      );
    }
    // One source of truth: the engine keeps no second copy of what went to the queue.
    if (target.engine)
      expect(failedEvents(target.engine).filter((e) => e.functionName === stack.functionName)).toEqual([]);

    // Act 2: a re-drive while the function still fails keeps the message.
    const first = listed[0] as FailedEvent;
    const stillFailing = await cli("failed", "--redrive", first.id);

    // Assess 2
    expect(stillFailing.code).toBe(1);
    expect(parseJson<FailedJson>(stillFailing).kept).toEqual([
      { id: first.id, error: expect.stringContaining("the function failed again") },
    ]);
    expect(await queueDepth(target.endpoint, stack)).toBe(N);

    // Act 3: fix the function, re-drive everything.
    await restoreFunction(target.clients, stack);
    const redrive = await cli("failed", "--redrive-all");

    // Assess 3: N records, an empty queue, a green verify.
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(parseJson<FailedJson>(redrive).redriven.sort()).toEqual(listed.map((e) => e.id).sort());
    for (const [key, etag] of uploaded) {
      expect((await getRecord(target.clients, stack, key, etag))?.key, key).toBe(key);
    }
    expect(await queueDepth(target.endpoint, stack)).toBe(0);
    const verify = await cli("verify");
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("the dashboard's source: a listing asked for during a re-drive waits for it, so it still lists the event the re-drive held", {
    timeout: scenarioTimeout,
  }, async () => {
    // Prepare: two failed events; the re-drive of one receives (and so hides) the other while it runs.
    await breakFunction(target.clients, stack);
    const keys = [`${stack.uploadPrefix}dashboard-turns/a.jpg`, `${stack.uploadPrefix}dashboard-turns/b.jpg`];
    for (const key of keys)
      await target.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: image, ContentType: "image/jpeg" }),
      );
    await eventually(
      "2 messages in the on-failure queue",
      async () => ((await queueDepth(target.endpoint, stack)) === 2 ? true : undefined),
      { timeoutMs: failureWait, intervalMs: 250 },
    );
    await restoreFunction(target.clients, stack);
    const source = onFailureQueueSource(() => target.clients, stack, { exactCounts: true });
    const before = await source.failed();
    const [redriven, kept] = [before[0] as FailedEvent, before[1] as FailedEvent];

    // Act: the panel refreshes while the re-drive runs, as a stream event makes it do.
    const [outcome, listedDuring] = await Promise.all([source.redrive(redriven.id), source.failed()]);

    // Assess
    expect(before).toHaveLength(2);
    expect(outcome.ok).toBe(true);
    expect(listedDuring.map((event) => event.id)).toEqual([kept.id]);
    expect((await source.redrive(kept.id)).ok).toBe(true);
    expect(await queueDepth(target.endpoint, stack)).toBe(0);
  });

  it("exits 2 for an unknown id and for conflicting flags", async () => {
    const unknown = await cli("failed", "--redrive", "no-such-id");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no failed event with id no-such-id");
    const both = await cli("failed", "--redrive", "x", "--redrive-all");
    expect(both.code).toBe(2);
  });
});

// Starts and SIGKILLs `pipeline up --persist` processes of its own: nothing to do against an external endpoint.
describe.skipIf(!awsCli || externalEndpoint)("Failed events survive a SIGKILL of a persisting engine", () => {
  let root: string;
  const started: ServedEngine[] = [];
  useCliCleanup();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "pipeline-failed-events-"));
  });
  afterAll(async () => {
    for (const engine of started) {
      engine.kill("SIGTERM");
      await engine.exited;
    }
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(`keeps ${N} failed events across kill -9, and re-drives them after the restart`, {
    timeout: 180_000,
  }, async () => {
    // Prepare: `up --persist` provisions the stack, then the role is narrowed.
    const serve = async () => {
      const served = await startServedEngine(["--persist", join(root, "data")]);
      started.push(served);
      return served;
    };
    const before = await serve();
    const clients = createAwsClients({
      endpoint: before.endpoint,
      region: stack.region,
      credentials: EMULATOR_CREDENTIALS,
    });
    let uploaded: Map<string, string>;
    try {
      await breakFunction(clients, stack);
      uploaded = await uploadImages(before.endpoint, clients, "killed");
      await eventually(
        `${N} messages before the kill`,
        async () => ((await queueDepth(before.endpoint, stack)) === N ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    } finally {
      clients.destroy();
    }

    // Act: kill -9 between failure and re-drive, then start again from the same directory.
    before.kill("SIGKILL");
    expect(await before.exited).toBe("SIGKILL");
    const after = await serve();
    const cli = (...args: string[]) =>
      runCli(["--endpoint", after.endpoint, "--json", ...args], { timeoutMs: 120_000 });

    // Assess: nothing lost; restoring the role (up converges it to the spec) and re-driving writes every record.
    const listed = parseJson<FailedJson>(await cli("failed")).events;
    expect(listed.map((e) => e.keys[0]).sort()).toEqual([...uploaded.keys()].sort());
    const again = createAwsClients({
      endpoint: after.endpoint,
      region: stack.region,
      credentials: EMULATOR_CREDENTIALS,
    });
    try {
      await restoreFunction(again, stack);
      const redrive = await cli("failed", "--redrive-all");
      expect(redrive.code, redrive.stderr).toBe(0);
      expect(parseJson<FailedJson>(redrive).redriven).toHaveLength(N);
      for (const [key, etag] of uploaded) expect((await getRecord(again, stack, key, etag))?.key).toBe(key);
      expect(await queueDepth(after.endpoint, stack)).toBe(0);
      const verify = await cli("verify");
      expect(verify.code, verify.stdout).toBe(0);
    } finally {
      again.destroy();
    }
  });
});
