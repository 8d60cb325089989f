import { randomBytes } from "node:crypto";
import { logGroupArn, logStreamArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { LogEventInput, LogWriter } from "../logs/contract.ts";
import type { Caller } from "../types.ts";

/**
 * The text the Lambda Node.js runtime writes to CloudWatch Logs, and the sink that writes it there only when the
 * function's role may (as on AWS, a role without `logs:*` permissions silently loses its logs).
 */

/** `/aws/lambda/<function>` */
export function logGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** `YYYY/MM/DD/[$LATEST]<32 hex>`, one per execution environment. */
export function newLogStreamName(now: Date = new Date()): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${date}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

/**
 * Formats one `console.*` call like the Node.js runtime (`<ISO time>\t<requestId>\t<LEVEL>\t<message>`). Messages
 * that already are a JSON object (structured loggers such as Powertools) are kept as they are.
 */
export function formatConsoleLine(
  time: number,
  requestId: string | undefined,
  level: string,
  message: string,
): string {
  if (isJsonObjectLine(message)) return message;
  return `${new Date(time).toISOString()}\t${requestId ?? "undefined"}\t${level}\t${message}`;
}

function isJsonObjectLine(message: string): boolean {
  const trimmed = message.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}") || trimmed.includes("\n")) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportInput {
  requestId: string;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Present on cold starts only. */
  initDurationMs?: number;
}

/** `REPORT RequestId: …\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB` */
export function reportLine(input: ReportInput): string {
  const parts = [
    `REPORT RequestId: ${input.requestId}`,
    `Duration: ${input.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.max(1, Math.ceil(input.durationMs))} ms`,
    `Memory Size: ${input.memorySizeMb} MB`,
    `Max Memory Used: ${Math.round(input.maxMemoryUsedMb)} MB`,
  ];
  if (input.initDurationMs !== undefined) parts.push(`Init Duration: ${input.initDurationMs.toFixed(2)} ms`);
  return parts.join("\t");
}

/** `Task timed out after 3.00 seconds` */
export function timeoutMessage(timeoutSeconds: number): string {
  return `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** The runtime's own line for a timeout: `<ISO time> <requestId> Task timed out after 3.00 seconds`. */
export function timeoutLine(time: number, requestId: string, timeoutSeconds: number): string {
  return `${new Date(time).toISOString()} ${requestId} ${timeoutMessage(timeoutSeconds)}`;
}

/** Where one execution environment's log events go. */
export interface LogDestination {
  groupName: string;
  streamName: string;
  /** The role the function runs as; its identity policies decide whether logs are kept. */
  caller: Caller;
}

/** Writes function log events through the Logs service, after checking the role's permissions. */
export class FunctionLogSink {
  readonly #context: EngineContext;
  readonly #logs: LogWriter;

  constructor(context: EngineContext, logs: LogWriter) {
    this.#context = context;
    this.#logs = logs;
  }

  /**
   * Whether events for this destination can be written now: the role may create the stream and put events (and
   * create the group, if it does not exist yet).
   */
  canWrite(destination: LogDestination): boolean {
    const logs = this.#logs;
    const { region, accountId, authorizer } = this.#context;
    const groupArn = logGroupArn(region, accountId, destination.groupName);
    const streamArn = logStreamArn(region, accountId, destination.groupName, destination.streamName);
    const caller = destination.caller;
    if (!logs.hasLogGroup(destination.groupName)) {
      if (!authorizer.authorize(caller, "logs:CreateLogGroup", `${groupArn}:*`).allowed) return false;
      logs.ensureLogGroup(destination.groupName);
    }
    return (
      authorizer.authorize(caller, "logs:CreateLogStream", streamArn).allowed &&
      authorizer.authorize(caller, "logs:PutLogEvents", streamArn).allowed
    );
  }

  write(destination: LogDestination, events: LogEventInput[]): void {
    if (events.length === 0) return;
    this.#logs.putLogEvents(destination.groupName, destination.streamName, events);
  }
}
