import { readFileSync } from "node:fs";
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, startEngineProcess } from "../helpers/engine.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";

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

afterAll(() => {
  lambda?.destroy();
  engine?.child.kill("SIGKILL");
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
