import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { listObjects } from "../../src/pipeline/objects.ts";
import { scanRecords } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { hasStackTrace, parseJson, runCli, startCli, useCliCleanup } from "../helpers/cli.ts";
import { externalEndpoint, PROVISION_STEPS, useEngine } from "../helpers/engine.ts";
import { targetCapabilities } from "../helpers/target.ts";

const stack = defineStack();

interface ProvisionedJson {
  event: string;
  endpoint: string;
  steps: Array<{ step: string; action: string; resource: string }>;
}

const clientsFor = (endpoint: string): AwsClients =>
  createAwsClients({ endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS });

/** Resolves true when something answers HTTP at the endpoint within a second. */
const answers = (endpoint: string) =>
  fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );

describe("CLI: pipeline up against a running engine", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);

  beforeAll(async () => {
    target.engine?.markReady();
    // An external target's ready hook has already built the stack: remove it, so that `up` has to create it all.
    if (externalEndpoint) {
      const down = await cli("down");
      expect(down.code, down.stderr).toBe(0);
    }
  });

  it("provisions, lists the steps in --json and exits 0; a second run changes nothing", async () => {
    const first = await cli("--json", "up");

    expect(first.code, first.stderr).toBe(0);
    const json = parseJson<ProvisionedJson>(first);
    expect(json).toMatchObject({ event: "provisioned", endpoint: target.endpoint });
    expect(json.steps.map((s) => s.step)).toEqual(PROVISION_STEPS);
    expect(json.steps.every((s) => s.action === "created")).toBe(true);
    const second = parseJson<ProvisionedJson>(await cli("--json", "up"));
    expect(second.steps.filter((s) => s.action !== "unchanged")).toEqual([]);
  });

  it("says where it provisioned in human mode", async () => {
    const human = await cli("up");

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`stack provisioned at ${target.endpoint}`);
    // LocalStack is named with the version its health answer reports ("LocalStack 4.14.0").
    expect(human.stderr).toMatch(
      new RegExp(`is already serving \\(${targetCapabilities.cliName}( [\\d.]+)?\\)`),
    );
  });

  it("refuses --persist, --bare and --like when an engine is already serving (exit 2, one line)", async () => {
    for (const flag of [["--persist", "/tmp/x"], ["--bare"], ["--like", "localstack"]]) {
      const result = await cli("up", ...flag);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `pipeline: ${target.endpoint} is already serving; --persist, --bare, --init-dir, --like and --inspect apply only when up starts the engine\n`,
      );
    }
    // Three CLI starts: seconds each on a busy 2-core machine.
  }, 120_000);
});

// Starts embedded engines of its own on this machine, whatever the target: the embedded job runs it.
describe.skipIf(!targetCapabilities.ownEngines)("CLI: pipeline up starting the embedded engine", () => {
  useCliCleanup();
  let scratch: string;
  const opened: AwsClients[] = [];
  const clients = (endpoint: string) => {
    const c = clientsFor(endpoint);
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "pipeline-cli-up-"));
  });

  afterAll(async () => {
    for (const c of opened) c.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("up --port 0 serves in the foreground, prints the ready line, and exits 0 on SIGINT", async () => {
    const up = startCli(["--json", "up", "--port", "0"]);

    const ready = await up.waitForJson((l) => l.event === "ready");

    expect(ready).toMatchObject({
      event: "ready",
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      bucket: stack.bucket,
      table: stack.table,
      function: stack.functionName,
      bare: false,
      persist: null,
      readyMs: expect.any(Number),
    });
    const endpoint = String(ready.endpoint);
    const init = (await (await fetch(`${endpoint}/_localstack/init/ready`)).json()) as { completed: boolean };
    expect(init.completed).toBe(true);
    // The dashboard is a plugin that `up` composes into the engine.
    const dashboard = await fetch(String(ready.dashboard));
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get("content-type")).toContain("text/html");
    const functions = await clients(endpoint).lambda.send(new ListFunctionsCommand({}));
    expect(functions.Functions?.map((f) => f.FunctionName)).toEqual([stack.functionName]);
    const exit = await up.stop("SIGINT");
    expect(exit.code, exit.stderr).toBe(0);
    expect(up.jsonLines().at(-1)).toEqual({ event: "stopped" });
    expect(hasStackTrace(exit.stderr)).toBe(false);
    expect(await answers(endpoint)).toBe(false);
  });

  it("up --bare --port 0 reports init completed at once and provisions nothing", async () => {
    const up = startCli(["--json", "up", "--bare", "--port", "0"]);

    const ready = await up.waitForJson((l) => l.event === "ready");

    expect(ready.bare).toBe(true);
    const endpoint = String(ready.endpoint);
    const init = (await (await fetch(`${endpoint}/_localstack/init/ready`)).json()) as { completed: boolean };
    expect(init.completed).toBe(true);
    const c = clients(endpoint);
    expect((await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    expect((await c.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).toEqual([]);
    expect((await c.lambda.send(new ListFunctionsCommand({}))).Functions ?? []).toEqual([]);
    expect((await up.stop("SIGINT")).code).toBe(0);
  });

  it("up --like localstack answers as LocalStack community 4.14.0 does where it differs from AWS", async () => {
    const up = startCli(["--json", "up", "--bare", "--like", "localstack", "--port", "0"]);

    const ready = await up.waitForJson((l) => l.event === "ready");

    expect(ready).toMatchObject({ like: "localstack", dashboard: null });
    const endpoint = String(ready.endpoint);
    const get = (path: string) => fetch(`${endpoint}${path}`);
    expect(await (await get("/_localstack/health")).json()).toMatchObject({
      edition: "community",
      version: "4.14.0",
    });
    const info = (await (await get("/_localstack/info")).json()) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(
      [
        "version",
        "edition",
        "is_license_activated",
        "session_id",
        "machine_id",
        "system",
        "is_docker",
        "server_time_utc",
        "uptime",
      ].sort(),
    );
    // Neither the dashboard nor the control API: LocalStack has neither.
    expect((await get("/_pipeline/")).status).not.toBe(200);
    expect((await get("/_pipeline/control/failed-events")).status).not.toBe(200);
    // Filter patterns are accepted and ignored: every event matches.
    const logs = clients(endpoint).logs;
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/like" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/like", logStreamName: "s" }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/like",
        logStreamName: "s",
        logEvents: [
          { timestamp: Date.now(), message: "START RequestId: a" },
          { timestamp: Date.now(), message: '{"outcome":"stored"}' },
        ],
      }),
    );
    const filtered = await logs.send(
      new FilterLogEventsCommand({ logGroupName: "/like", filterPattern: '"no such text"' }),
    );
    expect(filtered.events).toHaveLength(2);
    // The CLI names the target as it names LocalStack.
    const again = await runCli(["--endpoint", endpoint, "up"]);
    expect(again.stderr).toContain("is already serving (LocalStack 4.14.0)");
    expect((await up.stop("SIGINT")).code).toBe(0);
  });

  it("up --like localstack refuses a LAMBDA_RETRY_BASE_DELAY LocalStack would not start with (exit 2, one line)", async () => {
    const result = await runCli(["up", "--bare", "--like", "localstack", "--port", "0"], {
      env: { LAMBDA_RETRY_BASE_DELAY: "2s" },
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^pipeline: engine could not start: LAMBDA_RETRY_BASE_DELAY=2s: expected whole seconds/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("up --persist keeps objects and records across a stop and a start", async () => {
    const dataDir = join(scratch, "state");
    const first = startCli(["--json", "up", "--port", "0", "--persist", dataDir]);
    const ready = await first.waitForJson((l) => l.event === "ready");
    expect(ready.persist).toBe(dataDir);
    const upload = await runCli(["--endpoint", String(ready.endpoint), "upload", "fixtures", "--wait"]);
    expect(upload.code, upload.stderr).toBe(0);
    const before = clients(String(ready.endpoint));
    const objectsBefore = await listObjects(before, stack.bucket, stack.uploadPrefix);
    const recordsBefore = await scanRecords(before, stack);
    expect(objectsBefore).toHaveLength(8);
    expect(recordsBefore).toHaveLength(8);
    expect((await first.stop("SIGINT")).code).toBe(0);

    const second = startCli(["--json", "up", "--port", "0", "--persist", dataDir]);
    const again = await second.waitForJson((l) => l.event === "ready");

    const after = clients(String(again.endpoint));
    expect(await listObjects(after, stack.bucket, stack.uploadPrefix)).toEqual(objectsBefore);
    const byKey = (a: { PK: string }, b: { PK: string }) => a.PK.localeCompare(b.PK);
    expect((await scanRecords(after, stack)).sort(byKey)).toEqual(recordsBefore.sort(byKey));
    const verify = await runCli(["--endpoint", String(again.endpoint), "--json", "verify", "--skip-probe"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect((await second.stop("SIGINT")).code).toBe(0);
  });
});
