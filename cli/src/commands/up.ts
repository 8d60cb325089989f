import { type Engine, startEngine } from "../../../src/engine/index.ts";
import type { DynamoDbBackend } from "../../../src/engine/options.ts";
import { provisionStack, type StepResult } from "../../../src/stack/provision.ts";
import { ensureFunctionArtifact } from "../artifact.ts";
import { CliError, EnvironmentError, ExitCode, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { markServing } from "../lifecycle.ts";
import { Output } from "../output.ts";
import { type GlobalOptions, probeEndpoint, resolveTarget, type Target } from "../target.ts";

export interface UpOptions extends GlobalOptions {
  port?: string;
  persist?: string;
  bare?: boolean;
  enforceIam?: boolean;
  verifySignatures?: boolean;
  dynamodb?: DynamoDbBackend;
  duplicateDeliveries?: string;
  dynamodbFaultRate?: string;
  s3FaultRate?: string;
  host?: string;
  lambdaConcurrency?: string;
}

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

async function provision(target: Target, output: Output): Promise<StepResult[]> {
  const { zip, built } = await ensureFunctionArtifact();
  if (built) output.info("built dist/function.zip");
  return provisionStack({
    clients: target.clients,
    stack: target.stack,
    artifact: zip,
    realAws: target.kind === "aws",
  });
}

/** Waits for LocalStack-style readiness: health answers and init hooks completed. */
async function waitForInitReady(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${endpoint}/_localstack/init/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      if (response.ok && ((await response.json()) as { completed?: boolean }).completed) return;
      // Older LocalStack answers 404 for /init/ready: health alone must do.
      if (response.status === 404) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new EnvironmentError(
    `${endpoint} did not report init ready within ${timeoutMs / 1000} s (see /_localstack/init)`,
  );
}

/** `pipeline up`: start the embedded engine (or use a running LocalStack / real AWS) and provision the stack. */
export async function up(options: UpOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const port = parseCount(options.port, "--port", { min: 0, max: 65535 });
  const endpointOverride =
    options.port !== undefined && !options.endpoint ? `http://127.0.0.1:${port}` : options.endpoint;
  const target = await resolveTarget({ ...options, endpoint: endpointOverride });

  if (target.kind === "aws") {
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
  if (status.listening) {
    if (options.persist || options.bare) {
      throw new UsageError(
        `${endpoint} is already serving; --persist and --bare apply only when up starts the engine`,
      );
    }
    output.info(
      `${endpoint} is already serving (${status.embedded ? "embedded engine" : "LocalStack"}); waiting for init`,
    );
    await waitForInitReady(endpoint, 120_000);
    const steps = await provision(target, output);
    printSteps(output, steps);
    output.data({ event: "provisioned", endpoint, steps });
    output.line(output.ok(`stack provisioned at ${endpoint}`));
    return;
  }
  if (!["localhost", "127.0.0.1", "[::1]", "::1"].includes(url.hostname)) {
    throw new EnvironmentError(
      `nothing is listening at ${endpoint}, and the embedded engine only starts on this machine`,
    );
  }

  let engine: Engine;
  try {
    engine = await startEngine({
      port: port ?? Number(url.port || 4566),
      ...(options.host ? { host: options.host } : {}),
      ...(options.persist ? { dataDir: options.persist } : {}),
      enforceIam: options.enforceIam !== false,
      ...(options.verifySignatures ? { verifySignatures: true } : {}),
      stack: target.stack,
      ...(options.dynamodb ? { dynamodbBackend: options.dynamodb } : {}),
      ...(options.lambdaConcurrency
        ? {
            lambda: {
              maxConcurrency: parseCount(options.lambdaConcurrency, "--lambda-concurrency", {
                min: 1,
                max: 64,
              }),
            },
          }
        : {}),
      faults: {
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
      },
      log: options.debug ? (message) => process.stderr.write(`[engine] ${message}\n`) : undefined,
    });
  } catch (cause) {
    throw new EnvironmentError((cause as Error).message, { cause });
  }
  // The engine may have picked a free port (--port 0): provision against where it really listens.
  const served = await resolveTarget({ ...options, endpoint: engine.endpoint });
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

  let steps: StepResult[] = [];
  if (!options.bare) {
    try {
      steps = await provision(served, output);
    } catch (cause) {
      await engine.stop();
      throw new CliError(ExitCode.failed, (cause as Error).message, { cause });
    }
    printSteps(output, steps);
  }
  engine.markReady();
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
    dashboard: `${engine.endpoint}/_pipeline/`,
  });
  output.line(
    `${output.ok("ready")} embedded engine at ${engine.endpoint}${options.bare ? " (bare: nothing provisioned)" : ""} in ${readyMs} ms` +
      (options.bare ? "" : `: bucket ${s.bucket}, table ${s.table}, function ${s.functionName}`),
  );
  output.line(output.dim(`  dashboard  ${engine.endpoint}/_pipeline/`));
  output.line(
    output.dim(
      `  try        npx pipeline upload fixtures --wait   |   npx pipeline verify   |   npx pipeline logs --follow`,
    ),
  );
  output.line(output.dim("  stop       Ctrl-C"));
}
