import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Setup file of .ci/localstack-suites.vitest.config.ts, run before each suite (test file):
 * - gives the worker its lane's endpoint (PIPELINE_E2E_ENDPOINTS, one per worker: a suite owns its lane's stack);
 * - removes and rebuilds the stack there with the ready hook (PIPELINE_E2E_REBUILD_STACK <endpoint>: inside the
 *   LocalStack container in the Docker job, by path with an `awslocal` shim against `--like localstack`). No suite
 *   then sees what another left behind, so the shuffled order cannot change an outcome.
 */
const endpoints = (process.env.PIPELINE_E2E_ENDPOINTS ?? "").split(" ").filter(Boolean);
if (endpoints.length > 0) {
  const lane = (Number(process.env.VITEST_POOL_ID ?? "1") - 1) % endpoints.length;
  process.env.PIPELINE_E2E_ENDPOINT = endpoints[lane];
}
const rebuild = process.env.PIPELINE_E2E_REBUILD_STACK;
const endpoint = process.env.PIPELINE_E2E_ENDPOINT;
// A lane whose stack the hook has just built at the engine's start, with nothing run since, is used as it is once:
// rebuilding it would only repeat that work.
const fresh =
  process.env.PIPELINE_E2E_FRESH_DIR && endpoint
    ? join(process.env.PIPELINE_E2E_FRESH_DIR, encodeURIComponent(endpoint))
    : undefined;
const unused = fresh !== undefined && existsSync(fresh);
if (unused) rmSync(fresh);
if (rebuild && endpoint && !unused) {
  try {
    execFileSync("bash", [rebuild, endpoint], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (cause) {
    const { stdout, stderr } = cause as { stdout?: string; stderr?: string };
    throw new Error(
      `the stack at ${endpoint} could not be rebuilt before this suite:\n${stdout ?? ""}${stderr ?? ""}`,
      {
        cause,
      },
    );
  }
}
