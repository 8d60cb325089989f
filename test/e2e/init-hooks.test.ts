import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFunctionArtifact, type FunctionArtifact } from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { startEngine } from "../../src/engine/index.ts";
import { checkStack, type ObservedStack } from "../../src/stack/check.ts";
import { observeStack } from "../../src/stack/observe.ts";
import { provisionStack } from "../../src/stack/provision.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { runCli, startCli, useCliCleanup } from "../helpers/cli.ts";
import { externalEndpoint, useEngine } from "../helpers/engine.ts";
import { eventually } from "../helpers/poll.ts";

const run = promisify(execFile);
const hook = join(repoRoot, "localstack/init/ready.d/10-pipeline-stack.sh");
const awsCli = findAwsCliV2();
const stack = defineStack();

/** What must be equal between two stacks built by different tools: everything but ids and timestamps. */
function comparable(observed: ObservedStack) {
  return { ...observed, identity: null };
}

// Against LocalStack the hook already ran at container start (that is what the job waits for).
describe.skipIf(!awsCli || externalEndpoint)(
  "LocalStack ready hook, run with the real AWS CLI v2 against the engine",
  // About 30 AWS CLI runs per hook: well under a minute on an idle 2-core machine, more when it is shared.
  { timeout: 180_000 },
  () => {
    const target = useEngine();
    let artifact: FunctionArtifact;
    const runHook = () =>
      run("bash", [hook], {
        env: {
          ...awsCliEnvironment(target.endpoint),
          AWS_CLI: `${awsCli} --endpoint-url ${target.endpoint}`,
          PIPELINE_FUNCTION_ZIP: artifact.zipPath,
        },
        timeout: 120_000,
      });

    beforeAll(async () => {
      artifact = await buildFunctionArtifact();
    });

    it("builds a stack that the stack check accepts", async () => {
      const { stdout } = await runHook();
      expect(stdout).toContain("pipeline-hook: stack ready");
      const results = checkStack(await observeStack(target.clients, stack), stack, artifact.codeSha256);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });

    it("is idempotent: a second run succeeds and changes nothing the check sees", async () => {
      const before = await observeStack(target.clients, stack);
      const { stdout } = await runHook();
      expect(stdout).toContain("table image-metadata unchanged");
      expect(comparable(await observeStack(target.clients, stack))).toEqual(comparable(before));
    });

    it("produces the same stack as the TypeScript provisioner, which then finds nothing to change", async () => {
      const viaHook = await observeStack(target.clients, stack);
      const steps = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
      expect(steps.filter((s) => s.action !== "unchanged")).toEqual([]);
      const other = await startEngine({ port: 0 });
      try {
        const clients = createAwsClients({
          endpoint: other.endpoint,
          region: "us-east-1",
          credentials: EMULATOR_CREDENTIALS,
        });
        await provisionStack({ clients, stack, artifact: artifact.zip });
        expect(comparable(await observeStack(clients, stack))).toEqual(comparable(viaHook));
        clients.destroy();
      } finally {
        await other.stop();
      }
    });

    it("fails with a clear message when the function zip is missing", async () => {
      await expect(
        run("bash", [hook], {
          env: {
            ...awsCliEnvironment(target.endpoint),
            AWS_CLI: `${awsCli} --endpoint-url ${target.endpoint}`,
            PIPELINE_FUNCTION_ZIP: "/nonexistent/function.zip",
          },
        }),
      ).rejects.toMatchObject({ stderr: expect.stringContaining("function zip not found") });
    });
  },
);

/** A LocalStack-style init directory with ready.d scripts: name -> [content, mode]. */
function initDirectory(scripts: Record<string, [string, number]>): string {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-init-"));
  mkdirSync(join(dir, "ready.d"), { recursive: true });
  for (const [name, [content, mode]] of Object.entries(scripts)) {
    writeFileSync(join(dir, "ready.d", name), content);
    chmodSync(join(dir, "ready.d", name), mode);
  }
  return dir;
}

interface InitAnswer {
  completed: unknown;
  scripts: Array<{ stage: string; name: string; state: string }>;
}
const initAnswer = async (endpoint: string, path = "") =>
  (await (await fetch(`${endpoint}/_localstack/init${path}`)).json()) as InitAnswer;

describe.skipIf(!awsCli || externalEndpoint)(
  "The engine's init runner, with LocalStack 4.14's semantics",
  () => {
    const target = useEngine();
    useCliCleanup();
    let dir: string;
    let ran: Awaited<ReturnType<NonNullable<typeof target.engine>["runReadyHooks"]>>;
    let during: InitAnswer;

    beforeAll(async () => {
      dir = initDirectory({
        "05-first.sh": ["#!/bin/sh\necho first\n", 0o755],
        // Holds the stage RUNNING until the test has looked at it.
        "07-hold.sh": [
          `#!/bin/sh\nfor i in $(seq 1 200); do [ -f "$0.go" ] && exit 0; sleep 0.1; done\nexit 1\n`,
          0o755,
        ],
        "10-fails.sh": ["#!/bin/sh\necho 'about to fail' >&2\nexit 3\n", 0o755],
        "20-not-executable.sh": ["#!/bin/sh\nexit 0\n", 0o644],
        "30-no-shebang.sh": ["exit 0\n", 0o755],
        "40-awslocal.sh": ["#!/bin/bash\nset -e\nawslocal s3api create-bucket --bucket hook-made\n", 0o755],
        "50-not-a-script.txt": ["#!/bin/sh\nexit 1\n", 0o755],
      });
      const engine = target.engine;
      if (!engine) throw new Error("needs the embedded engine");
      const running = engine.runReadyHooks(dir, { awsCli });
      during = await eventually("07-hold.sh RUNNING", async () => {
        const answer = await initAnswer(target.endpoint, "/ready");
        return answer.scripts.some((s) => s.name === "07-hold.sh" && s.state === "RUNNING")
          ? answer
          : undefined;
      });
      writeFileSync(join(dir, "ready.d/07-hold.sh.go"), "");
      ran = await running;
    }, 60_000);

    it("reports the stage not completed, and the scripts not yet run as UNKNOWN, while one runs", () => {
      expect(during.completed).toBe(false);
      expect(during.scripts.map((s) => `${s.name} ${s.state}`)).toEqual([
        "05-first.sh SUCCESSFUL",
        "07-hold.sh RUNNING",
        "10-fails.sh UNKNOWN",
        "20-not-executable.sh UNKNOWN",
        "30-no-shebang.sh UNKNOWN",
        "40-awslocal.sh UNKNOWN",
      ]);
    });

    it("runs .sh scripts by path in name order: the run bit and the shebang matter, a failure stops nothing", async () => {
      expect(ran.map((s) => `${s.name} ${s.state}`)).toEqual([
        "05-first.sh SUCCESSFUL",
        "07-hold.sh SUCCESSFUL",
        "10-fails.sh ERROR",
        "20-not-executable.sh ERROR",
        "30-no-shebang.sh ERROR",
        "40-awslocal.sh SUCCESSFUL",
      ]);
      // awslocal resolved to this engine.
      await target.clients.s3.send(new HeadBucketCommand({ Bucket: "hook-made" }));
    });

    it("answers /_localstack/init and /init/ready in LocalStack's shapes, completed despite the ERRORs", async () => {
      const all = await initAnswer(target.endpoint);
      expect(all.completed).toEqual({ BOOT: true, START: true, READY: true, SHUTDOWN: false });
      expect(all.scripts[2]).toEqual({ stage: "READY", name: "10-fails.sh", state: "ERROR" });
      const ready = await initAnswer(target.endpoint, "/ready");
      expect(ready).toEqual({ completed: true, scripts: all.scripts });
      expect((await fetch(`${target.endpoint}/_localstack/init/nonsense`)).status).toBe(404);
    });

    it(".ci/wait-localstack.sh fails within seconds and names the failed scripts", async () => {
      const started = Date.now();
      const wait = await run("bash", [join(repoRoot, ".ci/wait-localstack.sh"), target.endpoint, "60"]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(wait).toMatchObject({ code: 1 });
      expect((wait as { stderr: string }).stderr).toContain(
        "script(s) 10-fails.sh,20-not-executable.sh,30-no-shebang.sh failed (state ERROR)",
      );
    });

    it("`pipeline up` against it fails fast (exit 1, one line) naming the failed scripts", async () => {
      const up = await runCli(["--endpoint", target.endpoint, "up"]);
      expect(up.code, up.stderr).toBe(1);
      expect(up.stderr).toContain("init scripts 10-fails.sh, 20-not-executable.sh, 30-no-shebang.sh failed");
      expect(up.stderr).toContain("docker compose logs localstack");
      expect(up.durationMs).toBeLessThan(20_000);
    });

    it("`pipeline up --bare --init-dir` runs the hooks after start, reports each state and keeps serving", async () => {
      const failing = initDirectory({ "10-fails.sh": ["#!/bin/sh\nexit 4\n", 0o755] });
      const up = startCli(["--json", "up", "--bare", "--port", "0", "--init-dir", failing], {
        env: { PIPELINE_FUNCTION_ZIP: "/nonexistent/function.zip" },
      });
      const init = await up.waitForJson((l) => l.event === "init");
      expect(init.scripts).toEqual([{ stage: "READY", name: "10-fails.sh", state: "ERROR" }]);
      const ready = await up.waitForJson((l) => l.event === "ready");
      expect(up.stderr).toContain("init script 10-fails.sh failed (state ERROR)");
      expect((await initAnswer(String(ready.endpoint), "/ready")).scripts[0]?.state).toBe("ERROR");
      expect((await up.stop("SIGINT")).code).toBe(0);
    });
  },
);

describe.skipIf(!externalEndpoint)("LocalStack's ready hooks, on the external endpoint", () => {
  const target = useEngine();

  // The same invariants as against the engine above, on the stack the target's own hook run built.
  it("built a stack that the stack check accepts, and the TypeScript provisioner finds nothing to change", async () => {
    const artifact = await buildFunctionArtifact();
    const results = checkStack(await observeStack(target.clients, stack), stack, artifact.codeSha256);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const steps = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
    expect(steps.filter((s) => s.action !== "unchanged")).toEqual([]);
  });

  it("all ran SUCCESSFUL (a failed hook still completes LocalStack's READY stage)", async () => {
    const ready = await initAnswer(externalEndpoint as string, "/ready");
    expect(ready.completed).toBe(true);
    expect(ready.scripts.length).toBeGreaterThan(0);
    expect(ready.scripts.filter((s) => s.state !== "SUCCESSFUL")).toEqual([]);
  });
});
