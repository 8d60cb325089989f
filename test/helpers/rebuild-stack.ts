import { execFileSync } from "node:child_process";

/**
 * Setup file of .ci/localstack-suites.vitest.config.ts: before each suite (test file) the stack is removed and rebuilt
 * by the ready hook, with the command .ci/localstack-suites.sh puts in PIPELINE_E2E_REBUILD_STACK (inside the
 * LocalStack container in the Docker job, by path with an `awslocal` shim against `--like localstack`). No suite
 * then sees what another left behind, so the shuffled order cannot change an outcome.
 */
const command = process.env.PIPELINE_E2E_REBUILD_STACK;
if (command) {
  try {
    execFileSync("bash", ["-c", command], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (cause) {
    const { stdout, stderr } = cause as { stdout?: string; stderr?: string };
    throw new Error(`the stack could not be rebuilt before this suite:\n${stdout ?? ""}${stderr ?? ""}`, {
      cause,
    });
  }
}
