import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { invocationEvents } from "../helpers/logs.ts";
import { eventually } from "../helpers/poll.ts";

const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const roleName = "lambda-memory-role";

let engine: Engine;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
let roleArn: string;
const created: string[] = [];
const activity: Array<Record<string, unknown>> = [];
const record = (event: Record<string, unknown>) => activity.push(event);

/**
 * A handler that allocates `allocateMb` of off-heap memory in 10 MB Buffers (filled, so the pages are really
 * resident), or grows the JS heap without end with `{ heap: true }`, and reports the V8 heap limit.
 */
const memoryHog = `
  import { getHeapStatistics } from "node:v8";
  export const handler = async (event) => {
    const chunks = [];
    for (let mb = 0; mb < (event.allocateMb ?? 0); mb += 10) {
      chunks.push(Buffer.alloc(10 * 1024 * 1024, 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (event.heap) {
      const arrays = [];
      for (;;) arrays.push(new Array(100_000).fill(1.5));
    }
    return {
      allocatedMb: chunks.length * 10,
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576),
    };
  };
`;

async function createFunction(
  name: string,
  memorySize: number,
  environment: Record<string, string> = {},
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: roleArn,
      Handler: "index.handler",
      MemorySize: memorySize,
      Timeout: 30,
      Code: { ZipFile: zipSync({ "index.mjs": strToU8(memoryHog) }) },
      Environment: { Variables: environment },
    }),
  );
  created.push(name);
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: name });
}

async function invoke(name: string, payload: unknown) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: strToU8(JSON.stringify(payload)) }),
  );
  const text = result.Payload ? Buffer.from(result.Payload).toString("utf8") : "";
  return {
    requestId: result.$metadata.requestId as string,
    functionError: result.FunctionError,
    body: JSON.parse(text === "" ? "null" : text) as Record<string, unknown>,
  };
}

/**
 * The invocation's log events (its stream, START to REPORT), once its REPORT line is there; read without a filter
 * pattern, which LocalStack community ignores.
 */
async function requestLog(functionName: string, requestId: string): Promise<string[]> {
  return eventually(`the REPORT line of ${requestId}`, async () => {
    const { events } = await logs.send(
      new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${functionName}` }),
    );
    const all = (events ?? []).map((e) => ({
      timestamp: e.timestamp ?? 0,
      stream: e.logStreamName ?? "",
      message: e.message ?? "",
      eventId: e.eventId ?? "",
    }));
    return invocationEvents(all, requestId)?.map((e) => e.message);
  });
}

function maxMemoryUsed(reportLine: string | undefined): number {
  const match = /Max Memory Used: (\d+) MB/.exec(reportLine ?? "");
  if (!match?.[1]) throw new Error(`no Max Memory Used in ${reportLine}`);
  return Number(match[1]);
}

beforeAll(async () => {
  engine = await startEngine({ port: 0, lambda: { maxRetries: 1, retryBaseDelayMs: 50 } });
  engine.context.events.on("activity", record);
  lambda = new LambdaClient({ endpoint: engine.endpoint, region, credentials });
  logs = new CloudWatchLogsClient({ endpoint: engine.endpoint, region, credentials });
  const iam = new IAMClient({ endpoint: engine.endpoint, region, credentials });
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    }),
  );
  await iam.send(
    new AttachRolePolicyCommand({
      RoleName: roleName,
      PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    }),
  );
  iam.destroy();
  roleArn = Role?.Arn as string;
});

afterAll(async () => {
  for (const name of created) await lambda?.send(new DeleteFunctionCommand({ FunctionName: name }));
  lambda?.destroy();
  logs?.destroy();
  await engine?.stop();
});

describe("Lambda MemorySize as a limit", () => {
  it("kills an environment that outgrows 128 MB: Runtime.OutOfMemory, AWS's log lines, then a cold start", async () => {
    // Prepare
    await createFunction("memory-hog", 128);

    // Act
    const oom = await invoke("memory-hog", { allocateMb: 300 });

    // Assess: the response
    expect(oom.functionError).toBe("Unhandled");
    expect(oom.body).toEqual({
      errorType: "Runtime.OutOfMemory",
      errorMessage: `RequestId: ${oom.requestId} Error: Runtime exited with error: signal: killed`,
    });
    // Assess: the log group
    const lines = await requestLog("memory-hog", oom.requestId);
    expect(lines).toContain(
      `RequestId: ${oom.requestId} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory`,
    );
    const report = lines.find((line) => line.startsWith(`REPORT RequestId: ${oom.requestId}`));
    expect(report).toContain("Memory Size: 128 MB\tMax Memory Used: 128 MB");

    // Act: a normal path of the same function
    const next = await invoke("memory-hog", { allocateMb: 0 });

    // Assess: it succeeds in a fresh environment
    expect(next.functionError).toBeUndefined();
    expect(next.body).toMatchObject({ allocatedMb: 0 });
    const start = activity.find(
      (event) => event.kind === "invoke.start" && event.requestId === next.requestId,
    );
    expect(start).toMatchObject({ cold: true });
    const nextReport = (await requestLog("memory-hog", next.requestId)).find((line) =>
      line.startsWith("REPORT"),
    );
    expect(nextReport).toContain("Init Duration:");
  }, 30_000);

  it("runs a 128 MB function that allocates 40 MB, with a plausible Max Memory Used", async () => {
    // Prepare
    await createFunction("memory-40", 128);

    // Act
    const result = await invoke("memory-40", { allocateMb: 40 });

    // Assess
    expect(result.functionError).toBeUndefined();
    expect(result.body).toMatchObject({ allocatedMb: 40 });
    const report = (await requestLog("memory-40", result.requestId)).find((line) =>
      line.startsWith("REPORT"),
    );
    const used = maxMemoryUsed(report);
    expect(used).toBeGreaterThan(40);
    expect(used).toBeLessThan(128);
  }, 30_000);

  it("does not count the engine's own memory: a small function started by a large engine process runs", async () => {
    // Prepare: the engine's process (this test worker) holds 300 MB, resident, when the environment starts. Linux
    // carries a parent's peak RSS (ru_maxrss) across fork and exec; a limit read from it would kill every child.
    const ballast = Buffer.alloc(300 * 1024 * 1024, 1);
    await createFunction("memory-small-child", 128);

    // Act
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await invoke("memory-small-child", {}));

    // Assess
    expect(ballast.length).toBe(300 * 1024 * 1024);
    expect(results.map((r) => r.functionError)).toEqual([undefined, undefined, undefined]);
    const report = (await requestLog("memory-small-child", results[0]?.requestId as string)).find((line) =>
      line.startsWith("REPORT"),
    );
    expect(maxMemoryUsed(report)).toBeLessThan(128);
  }, 30_000);

  it("stops JS heap growth too (the V8 heap cap follows the memory size)", async () => {
    // Prepare
    await createFunction("memory-heap", 128);

    // Act
    const probe = await invoke("memory-heap", {});
    const oom = await invoke("memory-heap", { heap: true });

    // Assess: 90% of 128 MB of old space, plus V8's young generation
    expect(probe.body.heapLimitMb).toBeGreaterThan(100);
    expect(probe.body.heapLimitMb).toBeLessThan(200);
    expect(oom.functionError).toBe("Unhandled");
    expect(oom.body).toMatchObject({ errorType: "Runtime.OutOfMemory" });
  }, 30_000);

  it("counts an out-of-memory death as a failed attempt of an asynchronous invocation, and retries it", async () => {
    // Act
    const { StatusCode } = await lambda.send(
      new InvokeCommand({
        FunctionName: "memory-hog",
        InvocationType: "Event",
        Payload: strToU8(JSON.stringify({ allocateMb: 300 })),
      }),
    );

    // Assess
    expect(StatusCode).toBe(202);
    const failed = await eventually(
      "the failed event of 'memory-hog'",
      () => engine.apis.lambda?.listFailedEvents().find((event) => event.functionName === "memory-hog"),
      { timeoutMs: 20_000 },
    );
    expect(failed).toMatchObject({ attempts: 2, errorType: "Runtime.OutOfMemory" });
    expect(
      activity.filter((event) => event.kind === "async.retry" && event.functionName === "memory-hog"),
    ).toHaveLength(1);
  }, 30_000);

  it("lets the user's own heap size win: PIPELINE_LAMBDA_NODE_OPTIONS, or the function's NODE_OPTIONS", async () => {
    // Prepare
    await createFunction("memory-flags", 128);
    await createFunction("memory-node-options", 128, { NODE_OPTIONS: "--max-old-space-size=400" });
    const saved = process.env.PIPELINE_LAMBDA_NODE_OPTIONS;
    process.env.PIPELINE_LAMBDA_NODE_OPTIONS = "--max-old-space-size=600";
    let flags: Awaited<ReturnType<typeof invoke>>;
    try {
      // Act
      flags = await invoke("memory-flags", {});
    } finally {
      if (saved === undefined) delete process.env.PIPELINE_LAMBDA_NODE_OPTIONS;
      else process.env.PIPELINE_LAMBDA_NODE_OPTIONS = saved;
    }
    const nodeOptions = await invoke("memory-node-options", {});

    // Assess
    expect(flags.body.heapLimitMb).toBeGreaterThanOrEqual(600);
    expect(nodeOptions.body.heapLimitMb).toBeGreaterThanOrEqual(400);
    expect(nodeOptions.body.heapLimitMb).toBeLessThan(600);
  }, 30_000);
});
