import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { buildFunctionArtifact } from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import type { AwsClients } from "../../src/aws/clients.ts";
import type { ActivityEvent, ActivityKind } from "../../src/engine/activity.ts";
import type { EngineContext } from "../../src/engine/context.ts";
import type { Engine } from "../../src/engine/index.ts";
import type { FailedEvent } from "../../src/engine/lambda/contract.ts";
import type { FailedEvent as QueuedFailedEvent } from "../../src/pipeline/failed-events.ts";
import { listFailedEvents as listQueuedFailedEvents } from "../../src/pipeline/failed-queue.ts";
import { provisionStack, type StepResult } from "../../src/stack/provision.ts";
import type { Stack } from "../../src/stack/spec.ts";
/** The CLI entry point (`pipeline`), run with this Node. */
import { CLI_BIN as cliBin } from "./cli.ts";
import type { EngineHandle } from "./engine.ts";

import { eventually } from "./poll.ts";

export { eventually };

/**
 * Builds the function into a private temp file (suites run in parallel: writing dist/function.zip from several
 * of them at once could hand a half-written zip to a CLI reading it) and provisions the stack with it.
 */
export async function provisionPipeline(clients: AwsClients, stack: Stack): Promise<StepResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "pipeline-artifact-"));
  try {
    const artifact = await buildFunctionArtifact({ outFile: join(dir, "function.zip") });
    return await provisionStack({ clients, stack, artifact: artifact.zip });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last JSON document a `--json` command printed on stdout. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split("\n").filter(Boolean);
  const last = lines[lines.length - 1];
  if (!last) throw new Error("the command printed no JSON");
  return JSON.parse(last) as T;
}

/** A `pipeline up` child process serving the embedded engine. */
export interface ServedEngine {
  endpoint: string;
  pid: number;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | NodeJS.Signals | null>;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
}

/** Starts `pipeline up --port 0 --json <extra>` and resolves once its `ready` line names the endpoint. */
export async function startServedEngine(
  extra: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ServedEngine> {
  const timeoutMs = options.timeoutMs ?? 45_000;
  const child = spawn(process.execPath, [cliBin, "up", "--port", "0", "--json", ...extra], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NO_COLOR: "1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.env,
    },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pipeline up not ready in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; endpoint?: string };
        if (event.event === "ready" && event.endpoint) {
          clearTimeout(timer);
          resolve(event.endpoint);
        }
      } catch {
        // not a JSON line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pipeline up exited (${String(code)}) before ready: ${stderr}`));
    });
  });
  try {
    const endpoint = await ready;
    return {
      endpoint,
      pid: child.pid ?? -1,
      exited,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      stderr: () => stderr,
    };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  }
}

/** Counts engine activity (invocations, retries, failures) so a test knows when asynchronous work settled. */
export class ActivityTally {
  readonly counts = new Map<ActivityKind, number>();
  readonly #context: EngineContext;
  readonly #listener = (event: ActivityEvent) => {
    this.counts.set(event.kind, this.count(event.kind) + 1);
  };

  constructor(context: EngineContext) {
    this.#context = context;
    context.events.on("activity", this.#listener);
  }

  count(kind: ActivityKind): number {
    return this.counts.get(kind) ?? 0;
  }

  /**
   * True when every queued delivery and retry has had its attempt and none is running: each attempt starts
   * with `invoke.start` and ends with `invoke.end`, and every retry or redrive queues one more attempt.
   */
  get settled(): boolean {
    const attempts =
      this.count("s3.delivery.queued") + this.count("async.retry") + this.count("async.redrive");
    return this.count("invoke.start") === this.count("invoke.end") && this.count("invoke.end") >= attempts;
  }

  close(): void {
    this.#context.events.off("activity", this.#listener);
  }
}

/** The embedded engine of a suite; suites calling this are skipped against an external endpoint. */
export function embeddedEngine(target: EngineHandle): Engine {
  if (!target.engine)
    throw new Error("this suite needs the embedded engine (skip it with PIPELINE_E2E_ENDPOINT)");
  return target.engine;
}

/**
 * The stack's failed events, read from its on-failure queue as `pipeline failed` reads it; with `expected`, once
 * the queue holds that many (Lambda sends each after its last attempt, so it lands a moment after `async.failed`).
 */
export async function queuedFailedEvents(
  clients: AwsClients,
  stack: Stack,
  expected?: number,
  timeoutMs = 30_000,
): Promise<QueuedFailedEvent[]> {
  return eventually(
    `${expected ?? "the"} failed events in ${stack.onFailureQueue.name}`,
    async () => {
      const events = await listQueuedFailedEvents(clients, stack);
      return expected === undefined || events.length === expected ? events : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** The engine's failed asynchronous invocations (Lambda's internal API). */
export function failedEvents(engine: Engine): FailedEvent[] {
  const lambda = engine.apis.lambda;
  if (!lambda) throw new Error("the engine's Lambda service is not running");
  return lambda.listFailedEvents();
}

type PolicyStatements = Stack["executionPolicy"]["Statement"];

/**
 * Puts the stack role's inline policy: the spec's execution policy with its statements changed by `edit` (one
 * dropped, a resource widened), or exactly as the spec has it without `edit` (to restore it).
 */
export async function setExecutionPolicy(
  clients: AwsClients,
  stack: Stack,
  edit: (statements: PolicyStatements) => PolicyStatements = (statements) => statements,
): Promise<void> {
  await clients.iam.send(
    new PutRolePolicyCommand({
      RoleName: stack.roleName,
      PolicyName: stack.policyName,
      PolicyDocument: JSON.stringify({
        ...stack.executionPolicy,
        Statement: edit(stack.executionPolicy.Statement),
      }),
    }),
  );
}

/** Statements without the one that allows `action` (e.g. `s3:GetObject`): that call is then denied. */
export const withoutAction = (action: string) => (statements: PolicyStatements) =>
  statements.filter((s) => s.Action !== action);
