import * as z from "zod";
import { ALL_AWS_SERVICES } from "../../../src/aws/clients.ts";
import { DashboardListenError, startRemoteDashboard } from "../../../src/dashboard/remote/index.ts";
import { EnvironmentError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output } from "../output.ts";
import { type GlobalOptions, probeEndpoint, requireEndpoint, resolveTarget, type Target } from "../target.ts";

export interface UiOptions extends GlobalOptions {
  /** Port to serve on (default 4567; 0 picks a free one). */
  port?: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Allow uploads and re-drives from the page on real AWS (asks first, as every write there does). */
  allowWrites?: boolean;
  /** No uploads or re-drives from the page, whatever the target. */
  readOnly?: boolean;
  /** Poll interval in milliseconds (default 1000). */
  poll?: string;
}

/** What `ui` printed as ready; the in-process caller gets it too. */
export interface UiReady {
  event: "ui-ready";
  url: string;
  target: string;
  writable: boolean;
  pollMs: number;
}

/** For callers that run `ui` in-process (tests): a stop signal instead of SIGINT, and the ready line. */
export interface UiRuntime {
  signal?: AbortSignal;
  onReady?: (ready: UiReady) => void;
}

export const DEFAULT_UI_PORT = 4567;

const uiSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_UI_PORT),
  host: z.string().min(1).default("127.0.0.1"),
  poll: z.coerce.number().int().min(100).max(60_000).default(1000),
});

/** Validates the command's own options once, at the boundary. */
export function parseUiOptions(options: UiOptions): { port: number; host: string; pollMs: number } {
  const result = uiSchema.safeParse({ port: options.port, host: options.host, poll: options.poll });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(
      `invalid --${String(issue?.path[0] ?? "option")}: ${issue?.message ?? "invalid value"}`,
    );
  }
  return { port: result.data.port, host: result.data.host, pollMs: result.data.poll };
}

/**
 * Whether the page may upload and re-drive: on emulators by default, like every other command; on real AWS only
 * with `--allow-writes` (then confirmed); never with `--read-only`.
 */
export function dashboardWritable(
  kind: Target["kind"],
  options: Pick<UiOptions, "allowWrites" | "readOnly">,
): boolean {
  if (options.readOnly) return false;
  return kind !== "aws" || Boolean(options.allowWrites);
}

async function targetLabel(target: Target): Promise<string> {
  if (target.kind === "aws") return `AWS account ${target.identity?.account} in ${target.region}`;
  const status = await probeEndpoint(target.endpoint as string);
  return `${status.embedded ? "embedded engine" : "LocalStack"} at ${target.endpoint}`;
}

/** Resolves on SIGINT, SIGTERM or the runtime's abort signal. */
function stopRequested(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (reason: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      signal?.removeEventListener("abort", onAbort);
      resolve(reason);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    const onAbort = () => done("abort");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (signal?.aborted) done("abort");
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `pipeline ui`: serves the dashboard on 127.0.0.1 for a stack on LocalStack, another engine or real AWS,
 * reading through the AWS APIs. Uploads and re-drives are on for emulators (off with `--read-only`); on real AWS the
 * page is read-only unless `--allow-writes`, confirmed like any write there.
 * Returns once stopped (Ctrl-C, SIGTERM).
 */
export async function ui(options: UiOptions, runtime: UiRuntime = {}): Promise<void> {
  const output = new Output({ json: options.json });
  const { port, host, pollMs } = parseUiOptions(options);
  if (options.allowWrites && options.readOnly)
    throw new UsageError("--allow-writes and --read-only contradict each other: pick one");
  const target = await resolveTarget(options, ALL_AWS_SERVICES);
  try {
    await requireEndpoint(target);
    const writable = dashboardWritable(target.kind, options);
    if (writable) {
      await confirmAwsWrite(target, output, "allow uploads and re-drives from the dashboard", options.yes);
    }
    const label = await targetLabel(target);
    let dashboard: Awaited<ReturnType<typeof startRemoteDashboard>>;
    try {
      dashboard = await startRemoteDashboard({
        clients: target.clients,
        stack: target.stack,
        target: { kind: target.kind, label },
        writable,
        pollMs,
        host,
        port,
        ...(options.debug ? { log: (message: string) => process.stderr.write(`[ui] ${message}\n`) } : {}),
      });
    } catch (cause) {
      if (cause instanceof DashboardListenError) throw new EnvironmentError(cause.message, { cause });
      throw cause;
    }
    const stopped = stopRequested(runtime.signal);
    const ready: UiReady = { event: "ui-ready", url: dashboard.url, target: label, writable, pollMs };
    output.data(ready);
    output.line(`${output.ok("dashboard")} ${dashboard.url}`);
    output.line(
      output.dim(
        `  reads      ${label} through the AWS APIs, polling every ${pollMs} ms` +
          `\n  mode       ${writable ? "uploads and re-drives allowed" : `read-only${target.kind === "aws" ? " (--allow-writes to upload and re-drive)" : ""}`}` +
          "\n  stop       Ctrl-C",
      ),
    );
    runtime.onReady?.(ready);
    const reason = await stopped;
    output.info(`${reason === "abort" ? "stopping" : `\n${reason}: stopping`} the dashboard`);
    await dashboard.close();
    output.data({ event: "stopped" });
  } finally {
    target.clients.destroy();
  }
}
