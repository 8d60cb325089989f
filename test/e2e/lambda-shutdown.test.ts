import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { startEngine } from "../../src/engine/index.ts";
import { hasParentDeathSignal } from "../../src/engine/lambda/runtime-process.ts";
import { startCli } from "../helpers/cli.ts";
import { startEngineProcess } from "../helpers/engine.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";
import { processRunning } from "../helpers/processes.ts";

/**
 * Stopping the engine while a function's runtime is busy writing into its own code directory (as Node's compile
 * cache does at the end of an init): stop() must end the runtime, wait until its process is gone, and leave no
 * code directory behind. It used to remove the directory while the runtime still wrote, and fail with ENOTEMPTY
 * (a CI run's `cli-terminal` suite); a runtime still in its init was not even killed.
 */

const scratch = mkdtempSync(join(tmpdir(), "lambda-shutdown-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A module that writes its pid where the test can read it, then writes files into its code directory without end,
 * going on when a write fails (so only a kill ends it): while it loads (`init`, so its environment never finishes
 * starting) or in its handler (`handler`).
 */
function writerModule(pidFile: string, where: "init" | "handler"): Uint8Array {
  const loop = `
    writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
    for (let i = 0; ; i++) {
      try {
        writeFileSync(process.env.LAMBDA_TASK_ROOT + "/written-" + (i % 2000), "x");
      } catch {}
    }`;
  const source = `import { writeFileSync } from "node:fs";
    ${where === "init" ? loop : ""}
    export const handler = async () => { ${where === "handler" ? loop : ""} };`;
  return zipSync({ "index.mjs": strToU8(source) });
}

/**
 * Creates the writer function on the engine at `endpoint`, invokes it asynchronously, and resolves with its
 * runtime's pid once it writes it (its loop has begun).
 */
async function startWriter(
  lambda: LambdaClient,
  endpoint: string,
  pidFile: string,
  where: "init" | "handler",
): Promise<number> {
  const role = await createLambdaRole(endpoint, "writer-role");
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: "writer",
      Runtime: "nodejs22.x",
      Role: role,
      Handler: "index.handler",
      Timeout: 60,
      Code: { ZipFile: writerModule(pidFile, where) },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "writer" });
  await lambda.send(new InvokeCommand({ FunctionName: "writer", InvocationType: "Event" }));
  return eventually("the runtime's pid", () =>
    existsSync(pidFile) && readFileSync(pidFile, "utf8") !== ""
      ? Number(readFileSync(pidFile, "utf8"))
      : undefined,
  );
}

describe.each([
  { phase: "its init", where: "init" },
  { phase: "an invocation", where: "handler" },
] as const)("stop() while a runtime writes into its code directory during $phase", ({ where }) => {
  it.each([1, 2, 3])("round %i: stop resolves, the runtime is gone, no code is left", async (round) => {
    const dataDir = join(scratch, `${where}-${round}`);
    const pidFile = join(scratch, `${where}-${round}.pid`);
    const engine = await startEngine({ port: 0, dataDir });
    const lambda = new LambdaClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      const pid = await startWriter(lambda, engine.endpoint, pidFile, where);
      expect(existsSync(join(dataDir, "lambda-code"))).toBe(true);
      await engine.stop();
      expect(processRunning(pid)).toBe(false);
      expect(existsSync(join(dataDir, "lambda-code"))).toBe(false);
    } finally {
      lambda.destroy();
      await engine.stop().catch(() => {});
    }
  });
});

describe.skipIf(!hasParentDeathSignal)(
  "an engine SIGKILLed while a runtime is busy (no stop(), no exit hook)",
  () => {
    it.each(["init", "handler"] as const)(
      "its runtime busy in its %s goes with it instead of running on, orphaned",
      async (where) => {
        const pidFile = join(scratch, `killed-${where}.pid`);
        const served = await startEngineProcess({});
        const lambda = new LambdaClient({
          endpoint: served.endpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "test", secretAccessKey: "test" },
        });
        let pid: number | undefined;
        try {
          pid = await startWriter(lambda, served.endpoint, pidFile, where);
          await served.kill();
          const runtime = pid;
          await eventually("the runtime gone", () => (processRunning(runtime) ? undefined : true), {
            timeoutMs: 5_000,
          });
        } finally {
          lambda.destroy();
          await served.kill();
          if (pid !== undefined && processRunning(pid)) process.kill(pid, "SIGKILL");
        }
      },
    );
  },
);

describe("`pipeline up`'s unpacked function code, however it ends", () => {
  const codeRoots = (temp: string) => readdirSync(temp).filter((name) => name.startsWith("pipeline-lambda-"));
  const upIn = async (temp: string) => {
    const up = startCli(["--json", "up", "--port", "0"], { env: { TMPDIR: temp } });
    await up.waitForJson((line) => line.event === "ready", 60_000);
    return up;
  };

  it("a closed terminal (SIGHUP) stops the engine as Ctrl-C does: exit 0, its code directory removed", async () => {
    // Prepare: up has provisioned the stack, so the function's code is unpacked in the temp directory.
    const temp = mkdtempSync(join(scratch, "hup-"));
    const up = await upIn(temp);
    expect(codeRoots(temp)).toHaveLength(1);
    // Act
    const result = await up.stop("SIGHUP");
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(codeRoots(temp)).toEqual([]);
  }, 90_000);

  it("the next up removes what a SIGKILLed one left, and keeps a running one's", async () => {
    // Prepare: one up killed, its directory left behind.
    const temp = mkdtempSync(join(scratch, "kill-"));
    const killed = await upIn(temp);
    const [left] = codeRoots(temp);
    await killed.stop("SIGKILL");
    expect(codeRoots(temp)).toEqual([left]);
    // Act: a second up, then a third while the second still runs.
    const second = await upIn(temp);
    const afterSecond = codeRoots(temp);
    const third = await upIn(temp);
    const afterThird = codeRoots(temp);
    await Promise.all([second.stop(), third.stop()]);
    // Assess: the killed one's directory went with the second start; the third kept the running second's.
    expect(afterSecond).toHaveLength(1);
    expect(afterSecond).not.toContain(left);
    expect(afterThird).toHaveLength(2);
    expect(afterThird).toEqual(expect.arrayContaining(afterSecond));
    expect(codeRoots(temp)).toEqual([]);
  }, 120_000);
});
