import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { listObjects } from "../../src/pipeline/objects.ts";
import { CHECK_CATALOG } from "../../src/stack/check.ts";
import { defineStack } from "../../src/stack/spec.ts";
import {
  CLI_BIN,
  type CliProcess,
  type CliResult,
  hasStackTrace,
  parseJson,
  runCli,
  startCli,
  useCliCleanup,
} from "../helpers/cli.ts";
import { eventually } from "../helpers/poll.ts";
import { unusedPort } from "../helpers/ports.ts";

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Exit 2 with exactly one stderr line and no stack trace; returns the line. */
function oneLine(result: CliResult, code = 2): string {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(code);
  expect(hasStackTrace(result.stderr)).toBe(false);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? "";
}

const verbs = [
  "up",
  "upload",
  "watch",
  "verify",
  "status",
  "invoke",
  "logs",
  "reconcile",
  "failed",
  "down",
  "ui",
];

describe("CLI: a newcomer's mistakes, without a stack", { timeout: 120_000 }, () => {
  useCliCleanup();
  let web: Server;
  let garbage: TcpServer;
  let webEndpoint: string;
  let webPort: number;
  let garbageEndpoint: string;
  let deadPort: number;

  beforeAll(async () => {
    // A plain web server, as a newcomer often has on 4566's neighbours: HTML for every path.
    web = createHttpServer((_request, response) => {
      response.writeHead(404, { "content-type": "text/html", server: "TestWeb/1.0" });
      response.end("<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>");
    });
    webPort = await listen(web);
    webEndpoint = `http://127.0.0.1:${webPort}`;
    // Something that takes the connection and answers what is not HTTP.
    garbage = createTcpServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", () => socket.end("garbage garbage\r\n\r\n"));
    });
    garbageEndpoint = `http://127.0.0.1:${await listen(garbage)}`;
    deadPort = await unusedPort();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => web?.close(() => resolve()));
    await new Promise<void>((resolve) => garbage?.close(() => resolve()));
  });

  it("up --port on a port a web server holds: exit 2, one line naming what answered and --port", async () => {
    const line = oneLine(await runCli(["up", "--port", String(webPort)]));

    expect(line).toContain(webEndpoint);
    expect(line).toContain("HTTP 404 text/html from TestWeb/1.0");
    expect(line).toMatch(/--port \d+/);
    expect(line).not.toContain("LocalStack)");
  });

  it.each([
    ["verify"],
    ["upload", "fixtures/cat.jpg"],
    ["logs"],
    ["reconcile"],
    ["invoke", "--key", "k.jpg"],
  ])("%s against a web server: one line, 'answered like no AWS service', exit 2", async (...args) => {
    const line = oneLine(await runCli(["--endpoint", webEndpoint, ...args]));

    expect(line).toBe(
      `pipeline: ${webEndpoint} answered like no AWS service (HTTP 404 text/html from TestWeb/1.0): is --endpoint (or PIPELINE_ENDPOINT / PIPELINE_PORT) the engine or LocalStack?`,
    );
  });

  it("a server answering garbage is not 'nothing is listening' (issue 21)", async () => {
    const line = oneLine(await runCli(["--endpoint", garbageEndpoint, "verify"]));

    expect(line).toContain(`${garbageEndpoint} answered like no AWS service`);
    expect(line).not.toContain("nothing is listening");
  });

  it("status: 2 when nothing answers, 2 when what answers is not AWS", async () => {
    const dead = await runCli(["--endpoint", `http://127.0.0.1:${deadPort}`, "status"]);
    const notAws = await runCli(["--endpoint", webEndpoint, "status"]);

    expect(oneLine(dead)).toContain("nothing is listening");
    expect(oneLine(notAws)).toContain("answered like no AWS service");
  });

  it("no region set anywhere: us-east-1, without asking the EC2 instance metadata service", async () => {
    // The SDK's region chain ends in IMDS (a PUT and a GET to 169.254.169.254, each with a 1 s timeout): on a
    // laptop where nothing answers there, every verb would wait for it before doing anything.
    let connections = 0;
    const sockets = new Set<import("node:net").Socket>();
    const metadata = createTcpServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on("error", () => undefined); // takes the connection, never answers
    });
    const metadataPort = await listen(metadata);
    const home = await mkdtemp(join(tmpdir(), "pipeline-home-"));
    try {
      const result = await runCli(["--endpoint", `http://127.0.0.1:${deadPort}`, "status"], {
        env: {
          HOME: home,
          AWS_REGION: undefined,
          AWS_DEFAULT_REGION: undefined,
          PIPELINE_REGION: undefined,
          AWS_PROFILE: undefined,
          AWS_CONFIG_FILE: undefined,
          AWS_SHARED_CREDENTIALS_FILE: undefined,
          AWS_EC2_METADATA_DISABLED: undefined,
          AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${metadataPort}`,
        },
      });

      expect(oneLine(result)).toContain("nothing is listening");
      expect(connections).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => metadata.close(() => resolve()));
      await rm(home, { recursive: true, force: true });
    }
  });

  it("nothing listening on a non-default port: the hint names that port", async () => {
    const line = oneLine(await runCli(["--endpoint", `http://127.0.0.1:${deadPort}`, "logs"]));

    expect(line).toBe(
      `pipeline: nothing is listening at http://127.0.0.1:${deadPort}: start the embedded engine there with \`npx pipeline up --port ${deadPort}\``,
    );
  });

  it("PIPELINE_PORT is the endpoint's port", async () => {
    const line = oneLine(await runCli(["verify"], { env: { PIPELINE_PORT: String(deadPort) } }));
    const bad = oneLine(await runCli(["verify"], { env: { PIPELINE_PORT: "http" } }));

    expect(line).toContain(`http://127.0.0.1:${deadPort}`);
    expect(bad).toBe("pipeline: invalid PIPELINE_PORT http: expected a port from 1 to 65535");
  });

  it.each([
    ["--endpoint", `http://admin:s3cr3t-pw@127.0.0.1:PORT`],
    ["--endpoint=http://admin:s3cr3t-pw@127.0.0.1:PORT"],
  ])("credentials in %s never reach the terminal (issue 21)", async (...flag) => {
    for (const port of [deadPort, webPort]) {
      const args = flag.map((a) => a.replace("PORT", String(port)));
      for (const verb of port === webPort ? [["verify"], ["up"]] : [["status"], ["--debug", "logs"]]) {
        const result = await runCli([...args, ...verb]);

        expect(result.code).toBe(2);
        expect(`${result.stdout}${result.stderr}`).not.toContain("s3cr3t");
      }
    }
  });

  it("a usage error points to that verb's help", async () => {
    const result = await runCli(["verify", "--frobnicate"]);
    const nested = await runCli(["runtimes", "install"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("(run 'pipeline verify --help' for usage)");
    expect(nested.stderr).toContain("(run 'pipeline runtimes install --help' for usage)");
  });

  it.each(verbs)("%s --help lists the global options and examples; defaults in one style", async (verb) => {
    const result = await runCli([verb, "--help"]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Global Options:");
    for (const option of ["--endpoint", "--region", "--json", "--debug"])
      expect(result.stdout).toContain(option);
    expect(result.stdout).toMatch(/Examples:\n {2}\$ npx pipeline /);
    expect(result.stdout).not.toMatch(/\(default [^:]/);
    expect(result.stdout).not.toMatch(/default: "/);
  });

  it("one count of checks: verify's help says the catalogue's number", async () => {
    const result = await runCli(["verify", "--help"]);

    expect(CHECK_CATALOG).toHaveLength(17);
    expect(result.stdout).toContain(`the ${CHECK_CATALOG.length} checks`);
    expect(result.stdout).not.toContain("01-14");
  });

  it.each(["bash", "zsh", "fish"])("completion %s prints a script its shell parses", async (shell) => {
    const result = await runCli(["completion", shell]);

    expect(result.code, result.stderr).toBe(0);
    for (const word of ["status", "invoke", "verify", "endpoint", "skip-existing"])
      expect(result.stdout).toContain(word);
    const parsed = spawnSync(shell, ["-n"], { input: result.stdout });
    // A shell that is not installed cannot check its script; bash always is.
    if (parsed.error && shell !== "bash") return;
    expect(parsed.status, String(parsed.stderr)).toBe(0);
  });

  it("completion for an unknown shell: exit 2", async () => {
    expect(oneLine(await runCli(["completion", "tcsh"]))).toContain("expected bash, zsh or fish");
  });
});

// Each test runs several CLI processes; on a loaded 2-core machine one takes seconds to load.
describe("CLI: the first hour on a port other than 4566, in eu-west-1", { timeout: 240_000 }, () => {
  // No useCliCleanup here: it kills every CLI child after each test, and `up` serves the whole suite (afterAll stops
  // it). Each assertion on a failing run checks for stack traces itself (oneLine).
  let port: number;
  let endpoint: string;
  let up: CliProcess;
  let scratch: string;
  let clients: AwsClients;
  const stack = defineStack({ region: "eu-west-1" });
  /** Runs the CLI as a user who ran the `export` up printed, in the region up was started in. */
  const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
    runCli(args, {
      env: { PIPELINE_ENDPOINT: endpoint, AWS_REGION: "eu-west-1", ...env },
      timeoutMs: 90_000,
    });

  beforeAll(async () => {
    port = await unusedPort();
    endpoint = `http://127.0.0.1:${port}`;
    scratch = await mkdtemp(join(tmpdir(), "pipeline-first-hour-"));
    // The engine serves the whole suite: a deadline far beyond startCli's 5-minute default.
    up = startCli(["up", "--port", String(port), "--region", "eu-west-1"], { timeoutMs: 1_800_000 });
    await eventually("up to print its hints", () => (up.stdout.includes("Ctrl-C") ? true : undefined), {
      timeoutMs: 120_000,
    });
    clients = createAwsClients({ endpoint, region: "eu-west-1", credentials: EMULATOR_CREDENTIALS });
  }, 150_000);

  afterAll(async () => {
    clients?.destroy();
    await up?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("up --port N: the first hint after 'ready' is export PIPELINE_ENDPOINT=http://127.0.0.1:N", () => {
    const lines = up.stdout.split("\n");
    const ready = lines.findIndex((l) => l.startsWith("ready "));

    expect(lines[ready]).toContain(`${endpoint} (eu-west-1)`);
    expect(lines[ready + 1]).toBe(`  next       export PIPELINE_ENDPOINT=${endpoint}`);
  });

  it("status --json: embedded engine, its version, region, a healthy stack, runtime and dashboard; exit 0", async () => {
    const result = await runCli(["--json", "status"], {
      env: { PIPELINE_PORT: String(port), PIPELINE_REGION: "eu-west-1" },
    });

    expect(result.code, result.stderr).toBe(0);
    const status = parseJson<Record<string, unknown>>(result);
    expect(status).toMatchObject({
      endpoint,
      kind: "embedded",
      region: "eu-west-1",
      stack: { bucket: true, table: true, function: true },
      health: { passed: 12, total: 12, failed: [] },
      dashboard: `${endpoint}/_pipeline/`,
      healthy: true,
    });
    expect(status.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect((status.runtime as { name: string }).name).toBe("nodejs24.x");
  });

  it("status for another stack's names checks that stack from the CLI, not the one `up` reports on", async () => {
    const result = await runCli(["--json", "status", "--bucket", "someone-elses-bucket"], {
      env: { PIPELINE_PORT: String(port), PIPELINE_REGION: "eu-west-1" },
    });

    expect(result.code).toBe(1);
    expect(parseJson<Record<string, unknown>>(result)).toMatchObject({
      stack: { bucket: false, table: true, function: true },
      healthy: false,
    });
  });

  it("a command for another region is refused in one line, not quietly checked in the engine's", async () => {
    const line = oneLine(await cli(["verify", "--skip-probe"], { AWS_REGION: "us-west-2" }));

    expect(line).toBe(
      `pipeline: the engine at ${endpoint} serves region eu-west-1, not us-west-2 (from AWS_REGION): use --region eu-west-1, or restart it with \`npx pipeline up --region us-west-2\``,
    );
    const fromDefault = oneLine(
      await cli(["logs"], { AWS_DEFAULT_REGION: "us-west-2", AWS_REGION: undefined }),
    );
    expect(fromDefault).toContain("not us-west-2 (from AWS_DEFAULT_REGION)");
  });

  it("the profile's region is honoured against the engine", async () => {
    const config = join(scratch, "aws-config");
    await writeFile(config, "[profile newcomer]\nregion = eu-west-1\n");

    const result = await cli(["--json", "status"], {
      AWS_REGION: undefined,
      AWS_PROFILE: "newcomer",
      AWS_CONFIG_FILE: config,
    });

    expect(result.code, result.stderr).toBe(0);
    expect(parseJson(result)).toMatchObject({ region: "eu-west-1", regionSource: "profile newcomer" });
  });

  it("verify: all 17 checks in evidence order, the report header states its caveats", async () => {
    const report = join(scratch, "report");
    const result = await cli(["verify", "--report", report]);

    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout
      .split("\n")
      .filter((l) => /^(PASS|FAIL) /.test(l))
      .map((l) => l.slice(6).split(/ {2,}/)[0]);
    expect(rows).toEqual(CHECK_CATALOG.map((c) => c.evidence));
    expect(result.stdout).toContain(
      `all 17 checks passed (target: emulator at ${endpoint}, eu-west-1, not AWS`,
    );
    const { readFile } = await import("node:fs/promises");
    const markdown = await readFile(join(report, "evidence.md"), "utf8");
    expect(markdown).toMatch(/\*\*17\/17 passed\*\*, with caveats: target: emulator at .*eu-west-1, not AWS/);
  });

  it("the idempotency check expects exactly the lines it counts", async () => {
    const result = await cli(["--json", "verify"]);

    const checks = parseJson<{ checks: Array<{ id: string; observed: string; expected: string }> }>(
      result,
    ).checks;
    const idempotency = checks.find((c) => c.id === "idempotency");
    expect(idempotency?.expected).toContain("3 log lines with outcome duplicate");
    expect(idempotency?.observed).toContain("3 log lines with outcome duplicate");
  });

  it("resources are in the region chosen: function ARN, S3 event awsRegion, function environment", async () => {
    const upload = await cli(["upload", "fixtures/cat.jpg", "--wait"]);
    expect(upload.code, upload.stderr).toBe(0);

    const printed = await cli(["invoke", "--key", "uploads/cat.jpg", "--print-event"]);
    const invoked = await cli(["--json", "invoke", "--key", "uploads/cat.jpg"]);

    expect(printed.code, printed.stderr).toBe(0);
    const event = JSON.parse(printed.stdout) as {
      Records: Array<{ awsRegion: string; s3: { object: { key: string; size: number } } }>;
    };
    expect(event.Records[0]?.awsRegion).toBe("eu-west-1");
    expect(event.Records[0]?.s3.object).toMatchObject({ key: "uploads/cat.jpg", size: 14_602 });
    expect(invoked.code, invoked.stderr).toBe(0);
    const json = parseJson<{ result: Record<string, number>; logs: string[]; durationMs: number }>(invoked);
    expect(json.result).toMatchObject({ duplicate: 1, failed: 0 });
    expect(json.durationMs).toBeGreaterThan(0);
    expect(json.logs.join("\n")).toContain(
      `"function_arn":"arn:aws:lambda:eu-west-1:000000000000:function:${stack.functionName}"`,
    );
    expect(json.logs.some((l) => l.startsWith("REPORT RequestId:"))).toBe(true);
  });

  it("invoke reads an event file or stdin, as sam local invoke -e does", async () => {
    const printed = await cli(["invoke", "--key", "uploads/cat.jpg", "--print-event"]);
    const file = join(scratch, "event.json");
    await writeFile(file, printed.stdout);

    const fromFile = await cli(["--json", "invoke", "--event", file]);
    const fromStdin = spawnSync(process.execPath, [CLI_BIN, "--json", "invoke"], {
      cwd: repoRoot,
      input: printed.stdout,
      env: { ...process.env, PIPELINE_ENDPOINT: endpoint, AWS_REGION: "eu-west-1", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    const notJson = oneLine(await cli(["invoke", "--event", join(repoRoot, "README.md")]));

    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(parseJson<{ result: unknown }>(fromFile).result).toMatchObject({ duplicate: 1 });
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout).result).toMatchObject({ duplicate: 1 });
    expect(notJson).toMatch(/README\.md is not JSON/);
  });

  it("control characters in a file name are escaped, never printed raw (issue 21)", async () => {
    const dir = join(scratch, "evil");
    await mkdir(dir, { recursive: true });
    const name = "red\u001b[31mALERT\u0007\nfake.jpg";
    await copyFile(join(repoRoot, "fixtures/cat.jpg"), join(dir, name));

    const result = await cli(["upload", dir]);
    const missing = await cli(["upload", join(scratch, "no\u001b]0;title\u0007such.jpg")]);

    expect(result.code, result.stderr).toBe(0);
    const printed = `${result.stdout}${result.stderr}${missing.stderr}`;
    const raw = [...printed].filter((c) => {
      const code = c.charCodeAt(0);
      return (code < 0x20 && c !== "\n") || code === 0x7f;
    });
    expect(raw).toEqual([]);
    expect(result.stderr).toContain("red\\x1b[31mALERT\\x07\\nfake.jpg");
    expect(missing.stderr).toContain("no\\x1b]0;title\\x07such.jpg");
  });

  it("Ctrl-C during a 200-image upload says what landed and what is left; --skip-existing resumes", async () => {
    const dir = join(scratch, "many");
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 200; i++)
      await copyFile(join(repoRoot, "fixtures/cat.jpg"), join(dir, `img-${String(i).padStart(3, "0")}.jpg`));
    const prefix = "uploads/many/";
    const upload = startCli(["upload", dir, "--prefix", prefix, "--concurrency", "2"], {
      env: { PIPELINE_ENDPOINT: endpoint, AWS_REGION: "eu-west-1" },
    });
    await eventually(
      "some uploads",
      () => ((upload.stderr.match(/^uploaded /gm)?.length ?? 0) >= 10 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );

    const interrupted = await upload.stop("SIGINT");

    expect(interrupted.code).toBe(130);
    const said = interrupted.stderr.match(
      /^pipeline: interrupted: (\d+) of 200 uploaded, (\d+) left \(.*\): rerun the same command with --skip-existing/m,
    );
    expect(said, interrupted.stderr).not.toBeNull();
    const landed = Number(said?.[1]);
    expect(landed + Number(said?.[2])).toBe(200);
    expect((await listObjects(clients, stack.bucket, prefix)).length).toBe(landed);

    const resumed = await cli(["upload", dir, "--prefix", prefix, "--skip-existing"]);

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`skipping ${landed} of 200 files already in s3://${stack.bucket}`);
    expect(resumed.stdout).toContain(`uploaded ${200 - landed} of ${200 - landed} files`);
    expect((await listObjects(clients, stack.bucket, prefix)).length).toBe(200);
  }, 120_000);

  it("--skip-existing uploads a file again when its bytes changed (size and MD5 compared)", async () => {
    const dir = join(scratch, "changed");
    await mkdir(dir, { recursive: true });
    await copyFile(join(repoRoot, "fixtures/cat.jpg"), join(dir, "a.jpg"));
    expect((await cli(["upload", dir, "--prefix", "uploads/changed/"])).code).toBe(0);
    // Same size, different bytes: only the MD5 tells.
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(join(dir, "a.jpg"));
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
    await writeFile(join(dir, "a.jpg"), bytes);

    const result = await cli(["upload", dir, "--prefix", "uploads/changed/", "--skip-existing"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("skipping 0 of 1 files");
    expect(result.stdout).toContain("uploaded 1 of 1 files");
  });

  it("part of the stack missing: verify shows FAIL rows, exit 1, no SDK error", async () => {
    await clients.lambda.send(new DeleteFunctionCommand({ FunctionName: stack.functionName }));

    const result = await cli(["verify"]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}06, 06b +Function runtime, handler, role, environment +missing/m);
    expect(result.stdout).toMatch(/^FAIL {2}11 +Upload a test image +not run: the stack has no function/m);
    expect(result.stderr).not.toMatch(/ResourceNotFound|NoSuch/);
    const logs = oneLine(await cli(["logs"]));
    expect(logs).toBe(
      `pipeline: the stack at ${endpoint} in eu-west-1 has no function: run \`npx pipeline up\` to provision it again`,
    );
  });

  it("after down, every verb says 'no stack at <endpoint>: run `npx pipeline up`' in one line, exit 2", async () => {
    const down = await cli(["down"]);
    expect(down.code, down.stderr).toBe(0);

    const expected = `pipeline: no stack at ${endpoint} in eu-west-1: run \`npx pipeline up\``;
    for (const args of [
      ["verify"],
      ["verify", "--skip-probe"],
      ["upload", "fixtures/cat.jpg"],
      ["reconcile"],
      ["logs"],
      ["logs", "--follow"],
      ["watch", join(scratch, "inbox")],
      ["failed"],
      ["invoke", "--key", "uploads/cat.jpg"],
    ]) {
      expect(oneLine(await cli(args)), args.join(" ")).toBe(expected);
    }
    const withFlag = oneLine(await runCli(["--endpoint", endpoint, "--region", "eu-west-1", "verify"]));
    expect(withFlag).toBe(
      `pipeline: no stack at ${endpoint} in eu-west-1: run \`npx pipeline up --endpoint ${endpoint}\``,
    );
    const status = await cli(["status"]);
    expect(status.code).toBe(1);
    expect(status.stderr.trim()).toBe(expected);
    const again = await cli(["down"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`no stack at ${endpoint} in eu-west-1: nothing to remove`);
  }, 240_000);
});
