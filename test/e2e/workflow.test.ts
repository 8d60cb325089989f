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
  it("has the embedded and localstack jobs on ubuntu with Node 20", () => {
    expect(Object.keys(workflow.jobs).sort()).toEqual(["embedded", "localstack"]);
    for (const job of [embedded, localstack]) {
      expect(job["runs-on"]).toMatch(/^ubuntu/);
      expect(job.steps.find((s) => s.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(
        20,
      );
    }
  });

  it("embedded: installs from the lock, lints, typechecks, tests, benches, reports, uploads artifacts", () => {
    expect(runs(embedded)).toEqual([
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm test",
      "npm run bench -- --quick",
      "bash .ci/evidence.sh out",
    ]);
    const upload = embedded.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(String(upload?.with?.path)).toContain("out/");
    expect(String(upload?.with?.path)).toContain("bench/results.json");
  });

  it("localstack: compose up, waits for health and init, runs the e2e suite against it, keeps logs on failure", () => {
    const commands = runs(localstack);
    expect(commands).toContain("docker compose up -d");
    expect(commands).toContain("bash .ci/wait-localstack.sh http://localhost:4566 300");
    const e2e = localstack.steps.find((s) => s.run === "npm run test:e2e -- --no-file-parallelism");
    expect(e2e?.env?.PIPELINE_E2E_ENDPOINT).toBe("http://localhost:4566");
    const logs = localstack.steps.find((s) => s.run?.includes("docker compose logs"));
    expect(logs?.if).toBe("failure()");
    expect(localstack.env?.LOCALSTACK_AUTH_TOKEN).toContain("secrets.LOCALSTACK_AUTH_TOKEN");
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
  });

  it("npm run bench -- --quick (results to a scratch file)", async () => {
    const out = join(scratch, "results.json");
    const { stdout } = await run("npm", ["run", "bench", "--", "--quick", "--out", out], {
      cwd: repoRoot,
      timeout: 180_000,
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
    ]) {
      expect(typeof results[key], key).toBe("number");
      expect(Number.isFinite(results[key] as number), key).toBe(true);
    }
    expect(results.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
  }, 200_000);

  it("bash .ci/evidence.sh out (a new user's session, on a free port)", async () => {
    const out = join(scratch, "out");
    const { stdout } = await run("bash", [join(repoRoot, ".ci/evidence.sh"), out], {
      cwd: repoRoot,
      env: { ...process.env, PIPELINE_PORT: String(await freePort()) },
      timeout: 120_000,
    });
    expect(stdout).toContain("all 15 checks passed");
    expect(readFileSync(join(out, "evidence.html"), "utf8")).toContain("15/15 checks passed");
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
