import { ALL_AWS_SERVICES, loadAwsClients } from "../../../src/aws/clients.ts";
import type { HealthReport } from "../../../src/dashboard/health.ts";
import { DASHBOARD_PREFIX, HEALTH_API_PATH } from "../../../src/dashboard/paths.ts";
import type { RuntimeReport } from "../../../src/engine/lambda/runtimes.ts";
import { CHECK_COUNT } from "../../../src/stack/check.ts";
import type { Stack } from "../../../src/stack/spec.ts";
import { redactEndpoint } from "../endpoint.ts";
import { CheckFailedError } from "../errors.ts";
import { Output, table } from "../output.ts";
import { readStackPresenceOrExplain, targetName } from "../stack-presence.ts";
import {
  describeFaults,
  type EngineInfo,
  type GlobalOptions,
  hintCommand,
  readEndpointJson,
  readEngineInfo,
  requireEndpoint,
  resolveTarget,
  type TargetBase,
} from "../target.ts";

/** What `pipeline status --json` prints. */
export interface StatusReport {
  endpoint: string;
  kind: "embedded" | "localstack" | "other" | "aws";
  version?: string;
  region: string;
  regionSource: string;
  stack: { bucket: boolean; table: boolean; function: boolean };
  health?: { passed: number; total: number; failed: string[] };
  runtime?: { name: string; description: string; emulated: boolean };
  faults?: string;
  dashboard: string;
  healthy: boolean;
}

/**
 * `pipeline status`: what answers at the endpoint and how the stack there is, as `localstack status` does for
 * LocalStack. Exit 0 when the stack is there and its checks pass, 1 when not, 2 when nothing answers.
 */
export async function status(options: GlobalOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const target = await resolveTarget(options, []);
  const answered = await requireEndpoint(target);
  const endpoint = target.endpoint ? redactEndpoint(target.endpoint) : "aws";
  const info: EngineInfo | undefined = target.endpoint ? await readEngineInfo(target.endpoint) : undefined;
  const runtimeReport = info?.lambda_runtimes?.[target.stack.runtime];
  // `pipeline up` has already checked its stack (its dashboard's health API): asking it loads no SDK client here.
  // Elsewhere (LocalStack, AWS, `up --bare`, another stack's names) the checks run from here.
  const served = answered?.kind === "embedded" ? await readServedHealth(target) : undefined;
  const presence = served?.presence ?? (await readStackPresenceOrExplain(target, answered));
  const any = presence.bucket || presence.table || presence.function;
  const health = any ? (served ?? (await checkFromHere(target, runtimeReport))) : undefined;
  const kind = target.kind === "aws" ? "aws" : (answered?.kind as StatusReport["kind"]);
  const report: StatusReport = {
    endpoint,
    kind,
    ...((answered?.version ?? info?.version) ? { version: answered?.version ?? info?.version } : {}),
    region: target.region,
    regionSource: target.regionSource,
    stack: presence,
    ...(health
      ? {
          health: {
            passed: health.passed,
            total: health.total,
            failed: health.checks.filter((c) => !c.ok).map((c) => c.id),
          },
        }
      : {}),
    ...(runtimeReport
      ? {
          runtime: {
            name: target.stack.runtime,
            description: runtimeReport.description,
            emulated: runtimeReport.emulated,
          },
        }
      : {}),
    ...(describeFaults(info?.faults) ? { faults: describeFaults(info?.faults) } : {}),
    dashboard:
      kind === "embedded"
        ? `${endpoint}${DASHBOARD_PREFIX}/`
        : `${hintCommand(target, "ui")}  (then http://127.0.0.1:4567/)`,
    healthy: Boolean(health?.ok),
  };
  output.data(report);
  const kindText = {
    embedded: `embedded engine ${report.version ?? ""}`.trim(),
    localstack: `LocalStack ${report.version ?? ""}`.trim(),
    other: `not LocalStack or the engine (${answered?.answer ?? "unknown"})`,
    aws: `real AWS, account ${target.identity?.account}`,
  }[kind];
  const part = (name: keyof typeof presence, resource: string) =>
    `${presence[name] ? output.ok("✓") : output.bad("✗")} ${resource}`;
  const s = target.stack;
  output.line(
    table([
      ["endpoint", endpoint],
      ["target", kindText],
      ["region", `${target.region} (${target.regionSource})`],
      [
        "stack",
        `${part("bucket", `bucket ${s.bucket}`)}  ${part("table", `table ${s.table}`)}  ${part("function", `function ${s.functionName}`)}`,
      ],
      [
        "checks",
        health
          ? health.error
            ? output.bad(`could not be read: ${health.error}`)
            : `${health.ok ? output.ok(`${health.passed} of ${health.total} stack checks pass`) : output.bad(`${health.passed} of ${health.total} stack checks pass; failing: ${report.health?.failed.join(", ")}`)} (${CHECK_COUNT} with the live ones: ${hintCommand(target, "verify")})`
          : output.bad(`no stack at ${targetName(target)}: run \`${hintCommand(target, "up")}\``),
      ],
      [
        "runtime",
        runtimeReport
          ? `${s.runtime}: ${runtimeReport.emulated ? output.bad(runtimeReport.description) : runtimeReport.description}`
          : `${s.runtime} (${kind === "embedded" ? "not reported" : "the runtime's own image"})`,
      ],
      ...(report.faults ? [["faults", output.bad(report.faults)]] : []),
      ["dashboard", report.dashboard],
    ]),
  );
  if (!report.healthy)
    throw new CheckFailedError(
      any
        ? `the stack at ${targetName(target)} is not healthy`
        : `no stack at ${targetName(target)}: run \`${hintCommand(target, "up")}\``,
    );
}

/**
 * The stack health `pipeline up` serves for its own stack, when it is the stack asked about (same names and region)
 * and could be read; undefined otherwise (no dashboard with `up --bare`, another stack, an unreadable answer).
 */
async function readServedHealth(target: TargetBase): Promise<HealthReport | undefined> {
  if (!target.endpoint) return undefined;
  const report = (await readEndpointJson(target.endpoint, HEALTH_API_PATH, 10_000)) as
    | Partial<HealthReport>
    | undefined;
  return report?.presence && !report.error && isSameStack(report.stack, target.stack)
    ? (report as HealthReport)
    : undefined;
}

function isSameStack(served: HealthReport["stack"] | undefined, stack: Stack): boolean {
  return (
    served?.bucket === stack.bucket &&
    served.table === stack.table &&
    served.functionName === stack.functionName &&
    served.region === stack.region
  );
}

/** The stack checks run from this process, with every client they need (each its own SDK package, loaded now). */
async function checkFromHere(target: TargetBase, runtime: RuntimeReport | undefined): Promise<HealthReport> {
  const { checkStackHealth } = await import("../../../src/dashboard/health.ts");
  const clients = await loadAwsClients(target.aws, ALL_AWS_SERVICES);
  try {
    return await checkStackHealth(clients, target.stack, { runtime });
  } finally {
    clients.destroy();
  }
}
