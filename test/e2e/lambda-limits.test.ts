import { readFileSync } from "node:fs";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, filesLeftToGc, startEngineProcess } from "../helpers/engine.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";
import { processRunning } from "../helpers/processes.ts";

const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * A function cannot end the engine or hold its memory: each of these ended the engine process (a non-JSON line on
 * the runtime's channel) or was answered 200 with 100 MB that stayed in the engine's memory. The engine runs in a
 * process of its own so that a crash is this suite's failure, and its RSS can be read.
 */
let engine: EngineProcess;
let lambda: LambdaClient;
let roleArn: string;

const handlers: Record<string, string> = {
  // Writes to the runtime's channel directly, as any function's code can.
  garbage: `import { writeSync } from "node:fs";
    export const handler = async (event) => {
      if (event.garbage) writeSync(3, "this is not JSON\\n");
      if (event.endless) writeSync(3, "x".repeat(3 * 1024 * 1024));
      if (event.wrongShape) writeSync(3, JSON.stringify({ type: "initError" }) + "\\n");
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { ok: true };
    };`,
  big: `export const handler = async (event) => "x".repeat(event.mb * 1024 * 1024);`,
};

async function createFunction(name: string, code: string): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: roleArn,
      Handler: "index.handler",
      MemorySize: 1024,
      Timeout: 60,
      Code: { ZipFile: zipSync({ "index.mjs": strToU8(code) }) },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: name });
}

async function invoke(name: string, payload: unknown) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: strToU8(JSON.stringify(payload)) }),
  );
  const bytes = result.Payload ?? new Uint8Array();
  return {
    status: result.StatusCode,
    functionError: result.FunctionError,
    bytes: bytes.length,
    text: Buffer.from(bytes).toString("utf8"),
  };
}

/** The engine process's resident set, in MB. */
function engineRssMb(): number {
  const status = readFileSync(`/proc/${engine.child.pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

beforeAll(async () => {
  engine = await startEngineProcess({});
  lambda = new LambdaClient({ endpoint: engine.endpoint, region, credentials, maxAttempts: 1 });
  roleArn = await createLambdaRole(engine.endpoint, "lambda-limits-role");
  for (const [name, code] of Object.entries(handlers)) await createFunction(name, code);
});

afterAll(async () => {
  lambda?.destroy();
  // Broken channels, endless lines and 100 MB answers must not leave a file open for the GC to close.
  const leftToGc = await filesLeftToGc(engine);
  engine?.child.kill("SIGKILL");
  expect(leftToGc).toEqual([]);
});

describe("a function cannot end the engine (issue 21)", () => {
  it("a non-JSON line on the runtime's channel fails that invocation (Runtime.Unknown) and the engine keeps serving", async () => {
    const broken = await invoke("garbage", { garbage: true });
    expect(broken.functionError).toBe("Unhandled");
    expect(JSON.parse(broken.text)).toMatchObject({ errorType: "Runtime.Unknown" });
    expect(engine.child.exitCode).toBeNull();
    // A fresh environment serves the next invocation.
    expect(JSON.parse((await invoke("garbage", {})).text)).toEqual({ ok: true });
  });

  it("an endless line (3 MB, no newline) or a message of the wrong shape is refused the same way", async () => {
    for (const payload of [{ endless: true }, { wrongShape: true }]) {
      const broken = await invoke("garbage", payload);
      expect(JSON.parse(broken.text)).toMatchObject({ errorType: "Runtime.Unknown" });
      expect(JSON.parse((await invoke("garbage", {})).text)).toEqual({ ok: true });
    }
    expect(engine.child.exitCode).toBeNull();
  });
});

describe("the Invoke response limit (issue 21)", () => {
  it("answers a 100 MB response with Function.ResponseSizeTooLarge, as AWS does above 6 MB, and the memory returns", async () => {
    const before = engineRssMb();
    const result = await invoke("big", { mb: 100 });
    expect(result.status).toBe(200);
    expect(result.functionError).toBe("Unhandled");
    expect(JSON.parse(result.text)).toEqual({
      errorType: "Function.ResponseSizeTooLarge",
      errorMessage: "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    });
    // The response was counted as it streamed, never buffered: the engine's RSS stays near where it was.
    await eventually(
      "the engine's RSS back near its level",
      () => (engineRssMb() < before + 60 ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    // The same environment goes on answering; 6 MB less a little is still answered whole.
    const fits = await invoke("big", { mb: 5.9 });
    expect(fits.functionError).toBeUndefined();
    expect(fits.bytes).toBe(Math.floor(5.9 * 1024 * 1024) + 2);
    console.log(`engine RSS before the 100 MB response ${before} MB, after ${engineRssMb()} MB`);
  });
});

describe("execution environments are capped engine-wide (issue 21)", () => {
  const cap = 3;
  let capped: EngineProcess;
  let client: LambdaClient;
  const names = ["slow-a", "slow-b", "slow-c", "slow-d"];
  const slow =
    "export const handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return 'done'; };";

  /**
   * The engine's launcher processes, one per live environment; a stopped one (SIGKILLed, not yet reaped: a zombie)
   * no longer counts.
   */
  const environments = () => {
    const pid = capped.child.pid;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return children.filter((child) => processRunning(child)).length;
  };

  beforeAll(async () => {
    capped = await startEngineProcess({ lambda: { maxEnvironments: cap } });
    client = new LambdaClient({ endpoint: capped.endpoint, region, credentials, maxAttempts: 1 });
    // Allowed to write its logs, which is how this suite sees asynchronous invocations run.
    const role = await createLambdaRole(capped.endpoint, "lambda-cap-role", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["logs:*"], Resource: "*" }],
    });
    for (const name of names) {
      await client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: "nodejs22.x",
          Role: role,
          Handler: "index.handler",
          Timeout: 30,
          Code: { ZipFile: zipSync({ "index.mjs": strToU8(slow) }) },
        }),
      );
      await waitUntilFunctionActiveV2({ client, maxWaitTime: 30 }, { FunctionName: name });
    }
  });

  afterAll(async () => {
    client?.destroy();
    // Environments stopped to make room, and throttled invokes, must not leave a file open for the GC to close.
    const leftToGc = await filesLeftToGc(capped);
    capped?.child.kill("SIGKILL");
    expect(leftToGc).toEqual([]);
  });

  it("throttles a synchronous invoke beyond the cap with 429 TooManyRequestsException (ConcurrentInvocationLimitExceeded)", async () => {
    const outcomes = await Promise.all(
      names.map((name) =>
        client.send(new InvokeCommand({ FunctionName: name })).then(
          () => "ok",
          (error: { name?: string; Reason?: string; $metadata?: { httpStatusCode?: number } }) =>
            `${error.$metadata?.httpStatusCode} ${error.name} ${error.Reason}`,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(cap);
    expect(outcomes.filter((outcome) => outcome !== "ok")).toEqual([
      "429 TooManyRequestsException ConcurrentInvocationLimitExceeded",
    ]);
    expect(environments()).toBeLessThanOrEqual(cap);
  });

  it("lets asynchronous invokes wait for a slot, never starting more environments than the cap", async () => {
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, environments());
    }, 5);
    for (const name of [...names, ...names]) {
      const { StatusCode } = await client.send(
        new InvokeCommand({ FunctionName: name, InvocationType: "Event" }),
      );
      expect(StatusCode).toBe(202);
    }
    const logs = new CloudWatchLogsClient({ endpoint: capped.endpoint, region, credentials });
    const ends = async () => {
      let total = 0;
      for (const name of names) {
        // A function that has not run yet has no log group.
        const events = await logs
          .send(
            new FilterLogEventsCommand({
              logGroupName: `/aws/lambda/${name}`,
              filterPattern: '"END RequestId"',
            }),
          )
          .then(
            (page) => page.events ?? [],
            () => [],
          );
        total += events.length;
      }
      return total;
    };
    // 4 synchronous invocations above (3 ran) and 8 asynchronous ones.
    await eventually(
      "every asynchronous invocation to run",
      async () => ((await ends()) >= 3 + 8 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    clearInterval(sampler);
    logs.destroy();
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(cap);
  });
});
