import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFunctionArtifact, type FunctionArtifact } from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { startEngine } from "../../src/engine/index.ts";
import { checkStack, type ObservedStack } from "../../src/stack/check.ts";
import { observeStack } from "../../src/stack/observe.ts";
import { provisionStack } from "../../src/stack/provision.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { externalEndpoint, useEngine } from "../helpers/engine.ts";

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
