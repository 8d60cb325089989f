import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/artifact/paths.ts";
import { startEngine } from "../../src/engine/index.ts";
import { externalEndpoint } from "../helpers/engine.ts";

const run = promisify(execFile);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  steps: Step[];
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
}

const workflow = parse(readFileSync(join(repoRoot, ".github/workflows/ci.yml"), "utf8")) as {
  jobs: Record<string, Job>;
};
const embedded = workflow.jobs.embedded as Job;
const localstack = workflow.jobs.localstack as Job;
const runs = (job: Job) => job.steps.flatMap((s) => (s.run ? [s.run.trim()] : []));

/** A free port, for commands that take one. */
async function freePort(): Promise<number> {
  const engine = await startEngine({ port: 0 });
  const { port } = engine;
  await engine.stop();
  return port;
}

describe("Workflow: .github/workflows/ci.yml", () => {
  it("has the embedded job on a Node 22/24 matrix, and LocalStack jobs on Node 24, all on ubuntu", () => {
    expect(Object.keys(workflow.jobs).sort()).toEqual(["embedded", "localstack", "localstack-targets"]);
    for (const job of Object.values(workflow.jobs)) expect(job["runs-on"]).toMatch(/^ubuntu/);
    const setupNode = (job: Job) => job.steps.find((s) => s.uses?.startsWith("actions/setup-node"))?.with;
    expect(embedded.strategy?.matrix?.node).toEqual([22, 24]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template.
    expect(setupNode(embedded)?.["node-version"]).toBe("${{ matrix.node }}");
    expect(setupNode(localstack)?.["node-version"]).toBe(24);
  });

  it("embedded: installs from the lock, lints, typechecks, tests (counted), LocalStack's suites --like-localstack, the contract as root, benches, reports", () => {
    const commands = runs(embedded);
    const order = [
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm test -- --reporter=default --reporter=json --outputFile.json=test-results.json",
      "bash .ci/localstack-suites.sh --like-localstack",
      'sudo -E env "PATH=$PATH" node_modules/.bin/vitest run test/contract',
      "npm run bench -- --quick",
      "bash .ci/evidence.sh out",
    ];
    expect(commands.filter((command) => order.includes(command))).toEqual(order);
    expect(
      commands.some((command) => command.includes("GITHUB_STEP_SUMMARY") && command.includes("skipped")),
    ).toBe(true);
    const upload = embedded.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(String(upload?.with?.path)).toContain("out/");
    expect(String(upload?.with?.path)).toContain("bench/results.json");
  });

  it("localstack: compose up, fails fast on a broken hook, --wait, verify as the first gate, endpoint suites, logs on failure", () => {
    const commands = runs(localstack);
    const order = [
      "npm ci",
      "docker compose up -d",
      "bash .ci/wait-localstack.sh http://localhost:4566 420",
      "docker compose up --wait --wait-timeout 120",
      "npx pipeline verify",
      "bash .ci/localstack-suites.sh http://localhost:4566",
    ];
    expect(commands.filter((command) => order.includes(command))).toEqual(order);
    const logs = localstack.steps.find((s) => s.run?.includes("docker compose logs"));
    expect(logs?.if).toBe("failure()");
    // The licensed image and its token come from secrets, only for the matrix entry that exists when they do.
    expect(localstack.env?.LOCALSTACK_AUTH_TOKEN).toContain("secrets.LOCALSTACK_AUTH_TOKEN");
    expect(localstack.env?.LOCALSTACK_IMAGE).toContain("secrets.LOCALSTACK_IMAGE");
    expect(JSON.stringify(workflow.jobs["localstack-targets"]?.steps)).toContain("::notice");
  });
});

// Every `run:` of the embedded job, executed here. `npm ci` and `npm test` are what .ci/run itself runs (this test
// is part of `npm test`, so running them again from inside would recurse).
describe.skipIf(externalEndpoint)("Workflow: the embedded job's commands, run locally", () => {
  const scratch = mkdtempSync(join(tmpdir(), "workflow-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("npm run lint", async () => {
    await run("npm", ["run", "lint"], { cwd: repoRoot });
  });

  it("npm run typecheck", async () => {
    await run("npm", ["run", "typecheck"], { cwd: repoRoot });
    // Two tsc passes (the project and the dashboard's page modules): slow on 2 busy cores, not a figure.
  }, 240_000);

  it("npm run bench -- --quick (results to a scratch file)", async () => {
    const out = join(scratch, "results.json");
    // Without the base commit beside it, as on GitHub's shallow checkout (the side-by-side half would double it).
    const { stdout } = await run("npm", ["run", "bench", "--", "--quick", "--out", out], {
      cwd: repoRoot,
      timeout: 420_000,
      env: { ...process.env, BENCH_BASE: "none" },
    });
    expect(stdout).toContain("ratio end-to-end / floor");
    const results = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    for (const key of [
      "upReadyMs",
      "firstRecordMs",
      "e2eP50Ms",
      "e2eP95Ms",
      "e2eP99Ms",
      "e2eObjectsPerSec",
      "floorObjectsPerSec",
      "ratioToFloor",
      "bundleZipBytes",
      "nodeModulesZipBytes",
      "bundleInitMs",
      "nodeModulesInitMs",
      "redeployMs",
      "engineRssMb",
      "cliVersionMs",
      "nodeBareMs",
    ]) {
      expect(typeof results[key], key).toBe("number");
      expect(Number.isFinite(results[key] as number), key).toBe(true);
    }
    expect(results.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
    // A smoke run of the bench's code paths (its figures are for `npm run bench`, not a test): generous on 2 cores.
  }, 450_000);

  it("bash .ci/evidence.sh out (a new user's session, on a free port)", async () => {
    const out = join(scratch, "out");
    const { stdout } = await run("bash", [join(repoRoot, ".ci/evidence.sh"), out], {
      cwd: repoRoot,
      env: { ...process.env, PIPELINE_PORT: String(await freePort()) },
      timeout: 120_000,
    });
    expect(stdout).toContain("all 17 checks passed");
    expect(readFileSync(join(out, "evidence.html"), "utf8")).toContain("17/17 checks passed");
    const elapsed = Number(/session took (\d+) ms/.exec(stdout)?.[1]);
    console.log(`new user's session (up, upload --wait, verify --report, down): ${elapsed} ms`);
    expect(elapsed).toBeLessThan(60_000);
  }, 150_000);

  it("bash .ci/wait-localstack.sh against a ready engine", async () => {
    const engine = await startEngine({ port: 0 });
    try {
      engine.markReady();
      const { stdout } = await run("bash", [join(repoRoot, ".ci/wait-localstack.sh"), engine.endpoint, "10"]);
      expect(stdout).toContain(`ready: ${engine.endpoint}`);
    } finally {
      await engine.stop();
    }
  });
});
