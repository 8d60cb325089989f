import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { buildDebugFunctionArtifact, DEFAULT_ARTIFACT_PATH, repoRoot } from "../../../src/artifact/build.ts";
import { ALL_AWS_SERVICES } from "../../../src/aws/clients.ts";
import { dashboardPlugin } from "../../../src/dashboard/index.ts";
import { DASHBOARD_PREFIX } from "../../../src/dashboard/paths.ts";
import { type Engine, startEngine } from "../../../src/engine/index.ts";
import type { DynamoDbBackend } from "../../../src/engine/options.ts";
import type { FaultOptions } from "../../../src/engine/types.ts";
import { initFailureMessage, judgeInitReady } from "../../../src/pipeline/init-readiness.ts";
import { provisionStack, type StepResult } from "../../../src/stack/provision.ts";
import { ensureFunctionArtifact } from "../artifact.ts";
import { redactEndpoint } from "../endpoint.ts";
import { CliError, EnvironmentError, ExitCode, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { markServing } from "../lifecycle.ts";
import { Output } from "../output.ts";
import { runtimeNodeMapping } from "../runtime-mapping.ts";
import {
  describeFaults,
  type GlobalOptions,
  probeEndpoint,
  requireEngineRegion,
  resolveTarget,
  type Target,
} from "../target.ts";

export interface UpOptions extends GlobalOptions {
  port?: string;
  persist?: string;
  bare?: boolean;
  enforceIam?: boolean;
  /** `localstack`: the engine takes LocalStack community's deviations from AWS (src/engine/like-localstack.ts). */
  like?: "localstack";
  verifySignatures?: boolean;
  dynamodb?: DynamoDbBackend;
  duplicateDeliveries?: string;
  dynamodbFaultRate?: string;
  s3FaultRate?: string;
  host?: string;
  corsOrigin?: string[];
  allowedHost?: string[];
  lambdaConcurrency?: string;
  maxEnvironments?: string;
  /** LocalStack-style init directory whose ready.d scripts run after start; `true` means the repo's localstack/init. */
  initDir?: string | boolean;
  runtimeNode?: string[];
  strictRuntime?: boolean;
  /** `true` (9229) or a port: the function runs under the Node inspector there (debug build, no timeout). */
  inspect?: string | boolean;
}

/** Node's own default inspector port, which VS Code's attach configuration and chrome://inspect look at first. */
const DEFAULT_INSPECT_PORT = 9229;

const loopbackHosts = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/**
 * The addresses other machines reach an engine bound to `host` at: every external interface address for a
 * wildcard bind, else the address itself. Empty for loopback.
 */
export function reachableAddresses(host: string): string[] {
  if (loopbackHosts.has(host.toLowerCase()) || host.startsWith("127.")) return [];
  if (host !== "0.0.0.0" && host !== "::" && host !== "[::]") return [host];
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => !address.internal && (host === "0.0.0.0" ? address.family === "IPv4" : true))
    .map((address) => (address.family === "IPv6" ? `[${address.address}]` : address.address));
}

/** A host name or IP address as a Host header carries it, without port or scheme (`engine`, `my-box.lan`). */
const hostNamePattern =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[?[0-9a-f:.]+\]?$/i;

function parseAllowedHosts(values: string[] | undefined): string[] {
  return (values ?? []).map((value) => {
    const name = value.trim();
    if (!hostNamePattern.test(name) || name.length > 253)
      throw new UsageError(
        `invalid --allowed-host ${value}: expected a host name or address without scheme or port, such as engine`,
      );
    // The edge's guard normalises it (case, brackets) with the names it always answers to.
    return name;
  });
}

function parseCorsOrigins(values: string[] | undefined): string[] {
  return (values ?? []).map((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(
        `invalid --cors-origin ${value}: expected an origin such as http://localhost:3000`,
      );
    }
    if (url.origin === "null" || url.pathname.replace(/\/$/, "") !== "" || url.search !== "")
      throw new UsageError(
        `invalid --cors-origin ${value}: expected an origin such as http://localhost:3000`,
      );
    return url.origin;
  });
}

/** The repo's LocalStack init directory: the hooks `docker compose up` mounts into LocalStack. */
export const REPO_INIT_DIR = join(repoRoot, "localstack/init");

const parseCount = (
  value: string | undefined,
  flag: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`invalid ${flag}: expected an integer from ${min} to ${max}`);
  return n;
};
const parseRate = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`invalid ${flag}: expected a rate from 0 to 1`);
  return n;
};

function printSteps(output: Output, steps: StepResult[]): void {
  for (const s of steps) {
    const color = s.action === "unchanged" ? output.dim(s.action) : output.ok(s.action);
    output.info(
      `  ${s.step.padEnd(20)} ${color.padEnd(10)} ${s.resource}${s.detail ? output.dim(` (${s.detail})`) : ""}`,
    );
  }
}

async function provision(target: Target, output: Output, debugZip?: Uint8Array): Promise<StepResult[]> {
  const { zip, built } = debugZip
    ? { zip: debugZip, built: false }
    : await ensureFunctionArtifact(target.stack.runtime);
  if (built) output.info("built dist/function.zip");
  return provisionStack({
    clients: target.clients,
    stack: target.stack,
    artifact: zip,
    realAws: target.kind === "aws",
  });
}

/**
 * Waits for LocalStack-style readiness: init/ready completed with every script SUCCESSFUL. A script in ERROR fails
 * at once, naming it: LocalStack completes the stage anyway, so waiting longer would only hide a stack never built.
 */
async function waitForInitReady(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let body: unknown;
    try {
      const response = await fetch(`${endpoint}/_localstack/init/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      // Older LocalStack answers 404 for /init/ready: health alone must do.
      if (response.status === 404) return;
      body = response.ok ? await response.json() : undefined;
    } catch {
      // not up yet
    }
    const readiness = judgeInitReady(body);
    if (readiness.kind === "ready") return;
    if (readiness.kind === "failed") {
      throw new CliError(ExitCode.failed, initFailureMessage(endpoint, readiness.failed));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new EnvironmentError(
    `${endpoint} did not report init ready within ${timeoutMs / 1000} s (see /_localstack/init)`,
  );
}

/**
 * Runs the init directory's ready.d scripts on the engine as LocalStack would, with what compose gives LocalStack's
 * container: the function zip (built here unless PIPELINE_FUNCTION_ZIP names one). A failed script is reported
 * loudly but, as in LocalStack, the engine keeps serving so /_localstack/init shows the ERROR.
 */
async function runInitHooks(engine: Engine, initDir: string, output: Output): Promise<void> {
  const env: Record<string, string> = {};
  if (!process.env.PIPELINE_FUNCTION_ZIP) {
    const { built } = await ensureFunctionArtifact();
    if (built) output.info("built dist/function.zip");
    env.PIPELINE_FUNCTION_ZIP = DEFAULT_ARTIFACT_PATH;
  }
  output.info(`init: running ${join(initDir, "ready.d")} as LocalStack's ready hooks`);
  const scripts = await engine.runReadyHooks(initDir, {
    env,
    onOutput: (script, line) => output.info(output.dim(`  [${script.name}] ${line}`)),
  });
  for (const script of scripts) {
    output.info(
      `  ${script.name.padEnd(28)} ${script.state === "SUCCESSFUL" ? output.ok(script.state) : output.bad(script.state)}`,
    );
  }
  output.data({
    event: "init",
    initDir,
    scripts: scripts.map(({ stage, name, state }) => ({ stage, name, state })),
  });
  const failed = scripts.filter((s) => s.state === "ERROR").map((s) => s.name);
  if (failed.length > 0) output.warn(initFailureMessage(engine.endpoint, failed));
}

/** `pipeline up`: start the embedded engine (or use a running LocalStack / real AWS) and provision the stack. */
export async function up(options: UpOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const port = parseCount(options.port, "--port", { min: 0, max: 65535 });
  const endpointOverride =
    options.port !== undefined && !options.endpoint ? `http://127.0.0.1:${port}` : options.endpoint;
  const target = await resolveTarget({ ...options, endpoint: endpointOverride }, ALL_AWS_SERVICES);
  const faults = faultOptions(options);

  if (target.kind === "aws") {
    if (options.inspect)
      throw new UsageError(
        "--inspect runs the function under the embedded engine's Node inspector; on AWS use the AWS Toolkit's remote debugging",
      );
    await confirmAwsWrite(target, output, "provision the image metadata pipeline", options.yes);
    const steps = await provision(target, output);
    printSteps(output, steps);
    output.data({ event: "provisioned", target: "aws", region: target.region, steps });
    output.line(output.ok(`stack provisioned in AWS account ${target.identity?.account} (${target.region})`));
    return;
  }

  const endpoint = target.endpoint as string;
  const url = new URL(endpoint);
  const status = await probeEndpoint(endpoint, 3000);
  if (status.kind === "other" || status.kind === "silent") {
    const what =
      status.kind === "other"
        ? `something that is not LocalStack or the engine answers there (${status.answer})`
        : `something took the connection and gave no answer in ${(status.silentForMs ?? 0) / 1000} s`;
    throw new EnvironmentError(
      `${redactEndpoint(endpoint)}: ${what}: choose another port with --port, e.g. \`npx pipeline up --port ${await freePort()}\``,
    );
  }
  if (status.listening) {
    if (options.persist || options.bare || options.initDir || options.like || options.inspect) {
      throw new UsageError(
        `${endpoint} is already serving; --persist, --bare, --init-dir, --like and --inspect apply only when up starts the engine`,
      );
    }
    output.info(
      `${redactEndpoint(endpoint)} is already serving (${status.embedded ? "embedded engine" : `LocalStack ${status.version}`}); waiting for init`,
    );
    await requireEngineRegion(target);
    await waitForInitReady(endpoint, 120_000);
    const steps = await provision(target, output);
    printSteps(output, steps);
    output.data({ event: "provisioned", endpoint, steps });
    output.line(output.ok(`stack provisioned at ${redactEndpoint(endpoint)} (${target.region})`));
    printExportHint(output, endpoint);
    printTryHint(output);
    return;
  }
  if (!["localhost", "127.0.0.1", "[::1]", "::1"].includes(url.hostname)) {
    throw new EnvironmentError(
      `nothing is listening at ${redactEndpoint(endpoint)}, and the embedded engine only starts on this machine`,
    );
  }

  const corsOrigins = parseCorsOrigins(options.corsOrigin);
  const allowedHosts = parseAllowedHosts(options.allowedHost);
  const runtimeNodes = runtimeNodeMapping(options.runtimeNode);
  const inspectPort = await inspectorPort(options.inspect);
  // With --bare nothing is provisioned here: whatever code the init hooks or your scripts deploy runs inspected.
  const debugZip =
    inspectPort === undefined || options.bare ? undefined : await debugArtifact(target.stack.runtime, output);
  let engine: Engine;
  try {
    engine = await startEngine({
      port: port ?? Number(url.port || 4566),
      region: target.region,
      ...(options.host ? { host: options.host } : {}),
      ...(corsOrigins.length > 0 ? { corsOrigins } : {}),
      ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
      ...(options.persist ? { dataDir: options.persist } : {}),
      enforceIam: options.enforceIam !== false,
      ...(options.like ? { like: options.like } : {}),
      ...(options.verifySignatures ? { verifySignatures: true } : {}),
      // LocalStack serves no dashboard: like it, nothing answers under /_pipeline/.
      plugins: options.like ? [] : [dashboardPlugin({ stack: target.stack })],
      ...(options.dynamodb ? { dynamodbBackend: options.dynamodb } : {}),
      lambda: {
        ...(options.lambdaConcurrency
          ? {
              maxConcurrency: parseCount(options.lambdaConcurrency, "--lambda-concurrency", {
                min: 1,
                max: 64,
              }),
            }
          : {}),
        ...(options.maxEnvironments
          ? {
              maxEnvironments: parseCount(options.maxEnvironments, "--max-environments", {
                min: 1,
                max: 1024,
              }),
            }
          : {}),
        ...(runtimeNodes ? { runtimeNodes } : {}),
        strictRuntime: Boolean(options.strictRuntime),
        ...(inspectPort === undefined
          ? {}
          : { inspect: { functionName: target.stack.functionName, port: inspectPort } }),
      },
      ...(faults ? { faults } : {}),
      log: options.debug ? (message) => process.stderr.write(`[engine] ${message}\n`) : undefined,
      notice: (message) => output.warn(message),
    });
  } catch (cause) {
    const message = (cause as Error).message;
    // The port was free when probed, then taken (or refused by the OS): say which port and how to choose another.
    throw new EnvironmentError(
      /EADDRINUSE|port \d+ is already in use/i.test(message)
        ? `${message}: choose another port with --port, e.g. \`npx pipeline up --port ${await freePort()}\``
        : message,
      { cause },
    );
  }
  // The engine may have picked a free port (--port 0): provision against where it really listens.
  const served = await resolveTarget({ ...options, endpoint: engine.endpoint }, ALL_AWS_SERVICES);
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    output.info(`\n${signal}: stopping the engine`);
    await engine.stop();
    served.clients.destroy();
    output.data({ event: "stopped" });
    process.exit(ExitCode.ok);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // The terminal closed: there is nothing left to print to, but the engine still stops as on Ctrl-C (its runtimes,
  // its unpacked code); the default action would end the process with neither.
  process.on("SIGHUP", () => {
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    void shutdown("SIGHUP");
  });

  // Which Node runs the function: an emulated runtime is said here, and is an error with --strict-runtime.
  const runtime = engine.apis.lambda.runtimes()[served.stack.runtime];
  if (runtime?.emulated && options.strictRuntime) {
    await engine.stop();
    throw new EnvironmentError(`${runtime.description} (--strict-runtime)`);
  }
  if (runtime?.emulated) output.warn(runtime.description);

  let steps: StepResult[] = [];
  if (!options.bare) {
    try {
      steps = await provision(served, output, debugZip);
    } catch (cause) {
      await engine.stop();
      throw new CliError(ExitCode.failed, (cause as Error).message, { cause });
    }
    printSteps(output, steps);
  }
  if (options.initDir) {
    await runInitHooks(engine, options.initDir === true ? REPO_INIT_DIR : resolve(options.initDir), output);
  } else {
    engine.markReady();
  }
  markServing();
  // performance.now() counts from process start: the figure a user waits for, CLI loading included.
  const readyMs = Math.round(performance.now());
  const s = served.stack;
  output.data({
    event: "ready",
    endpoint: engine.endpoint,
    bucket: s.bucket,
    table: s.table,
    function: s.functionName,
    bare: Boolean(options.bare),
    persist: options.persist ?? null,
    readyMs,
    region: served.region,
    faults: faults ?? {},
    inspector: inspectPort === undefined ? null : `127.0.0.1:${inspectPort}`,
    dashboard: options.like ? null : `${engine.endpoint}${DASHBOARD_PREFIX}/`,
    like: options.like ?? null,
    ...(runtime
      ? {
          runtime: {
            name: s.runtime,
            node: runtime.node,
            emulated: runtime.emulated,
            description: runtime.description,
          },
        }
      : {}),
  });
  const faultText = describeFaults(faults);
  if (faultText)
    output.warn(
      `${faultText}: failures you see are injected (\`npx pipeline up\` without the flags turns them off)`,
    );
  output.line(
    `${output.ok("ready")} embedded engine${options.like ? " (like LocalStack community)" : ""} at ${engine.endpoint} (${served.region})${options.bare ? (options.initDir ? " (bare: provisioned by the init hooks only)" : " (bare: nothing provisioned)") : ""} in ${readyMs} ms` +
      (options.bare ? "" : `: bucket ${s.bucket}, table ${s.table}, function ${s.functionName}`),
  );
  printExportHint(output, engine.endpoint);
  if (!options.like) output.line(output.dim(`  dashboard  ${engine.endpoint}${DASHBOARD_PREFIX}/`));
  const exposed = reachableAddresses(options.host ?? "127.0.0.1");
  if (exposed.length > 0) {
    output.warn(
      `--host ${options.host}: the engine is reachable from other machines at ${exposed.map((address) => `http://${address}:${engine.port}`).join(", ")}; anyone who reaches it can use it (no authentication). Host and browser checks stay on.`,
    );
  }
  if (runtime)
    output.line(
      runtime.emulated
        ? `  runtime    ${output.bad(runtime.description)}`
        : output.dim(`  runtime    ${runtime.description}`),
    );
  if (faultText) output.line(`  faults     ${output.bad(faultText)}`);
  if (inspectPort !== undefined)
    output.line(
      `  inspector  127.0.0.1:${inspectPort}: ${s.functionName}${options.bare ? "" : " (debug build)"} in one environment, no timeout; attach VS Code or chrome://inspect (docs/debugging.md)`,
    );
  printTryHint(output);
  output.line(output.dim("  stop       Ctrl-C"));
}

/**
 * Off the default port, the first hint is the `export` that makes every later command talk to this engine; each
 * hint after it then works as printed in that shell.
 */
function printExportHint(output: Output, endpoint: string): void {
  if (new URL(endpoint).port !== "4566")
    output.line(`  next       export PIPELINE_ENDPOINT=${redactEndpoint(endpoint)}`);
}

function printTryHint(output: Output): void {
  output.line(
    output.dim(
      "  try        npx pipeline upload fixtures --wait   |   npx pipeline verify   |   npx pipeline status   |   npx pipeline logs --follow",
    ),
  );
}

/** A port free on loopback right now, to suggest when the asked one is taken. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 4630;
}

/**
 * The inspector port `--inspect[=port]` asks for, checked free on loopback now: a runtime whose port is taken would
 * run without the inspector (Node only warns), so the clash is said here, once, with a free port to use instead.
 */
async function inspectorPort(value: string | boolean | undefined): Promise<number | undefined> {
  if (value === undefined || value === false) return undefined;
  const port = value === true ? DEFAULT_INSPECT_PORT : parseCount(value, "--inspect", { min: 1, max: 65535 });
  const server = createServer();
  const taken = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
  if (taken)
    throw new EnvironmentError(
      `inspector port 127.0.0.1:${port} is in use (another node --inspect?): choose another with --inspect=${await freePort()}`,
    );
  return port;
}

/** The debug build of the function (buildDebugFunctionArtifact), or one line and exit 1 when it does not bundle. */
async function debugArtifact(runtime: string, output: Output): Promise<Uint8Array> {
  try {
    const zip = await buildDebugFunctionArtifact(runtime);
    output.info("built the function's debug build (not minified, inline source map)");
    return zip;
  } catch (cause) {
    throw new CliError(ExitCode.failed, (cause as Error).message, { cause });
  }
}

/** The engine's fault options from the flags, or undefined when none is set. */
function faultOptions(options: UpOptions): FaultOptions | undefined {
  const faults: FaultOptions = {
    ...(options.duplicateDeliveries
      ? {
          deliveryCopies: parseCount(options.duplicateDeliveries, "--duplicate-deliveries", {
            min: 1,
            max: 10,
          }),
        }
      : {}),
    ...(options.dynamodbFaultRate
      ? { dynamodbErrorRate: parseRate(options.dynamodbFaultRate, "--dynamodb-fault-rate") }
      : {}),
    ...(options.s3FaultRate ? { s3ErrorRate: parseRate(options.s3FaultRate, "--s3-fault-rate") } : {}),
  };
  return Object.keys(faults).length > 0 ? faults : undefined;
}
