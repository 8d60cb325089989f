import {
  fetchLogEvents,
  followLogEvents,
  type LogEvent,
  parseDuration,
  parseJsonLogLine,
} from "../../../src/pipeline/logs.ts";
import { UsageError } from "../errors.ts";
import { Output } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";

export interface LogsOptions extends GlobalOptions {
  follow?: boolean;
  since: string;
  filter?: string;
}

/** One log event for people: time, and for JSON lines level, message, outcome and key. */
export function formatLogEvent(event: LogEvent, output: Output): string {
  const time = new Date(event.timestamp).toISOString().slice(11, 23);
  const json = parseJsonLogLine(event.message);
  if (!json) {
    const line = event.message.replace(/\t/g, " ");
    return `${output.dim(time)} ${/^(START|END|REPORT) /.test(line) ? output.dim(line) : line}`;
  }
  const level = String(json.level ?? "INFO");
  const levelText =
    level === "ERROR"
      ? output.bad(level)
      : level === "WARN"
        ? output.colors.yellow(level)
        : output.dim(level);
  const details = [
    "outcome",
    "key",
    "pk",
    "sk",
    "written",
    "duplicate",
    "skipped",
    "failed",
    "errorName",
    "reason",
  ]
    .filter((k) => json[k] !== undefined)
    .map((k) => `${k}=${typeof json[k] === "string" ? json[k] : JSON.stringify(json[k])}`)
    .join(" ");
  return `${output.dim(time)} ${levelText} ${String(json.message ?? "")} ${details}`.trimEnd();
}

function print(event: LogEvent, output: Output): void {
  if (output.json) {
    output.data(
      parseJsonLogLine(event.message) ?? {
        timestamp: event.timestamp,
        stream: event.stream,
        message: event.message,
      },
    );
  } else {
    output.line(formatLogEvent(event, output));
  }
}

/** `pipeline logs`: the function's log events through the CloudWatch Logs API. */
export async function logs(options: LogsOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const sinceMs = parseDuration(options.since);
  if (sinceMs === undefined)
    throw new UsageError(`invalid --since ${options.since}: expected e.g. 30s, 10m, 2h, 1d`);
  const target = await resolveTarget(options, ["logs"]);
  await requireStack(target, ["function"]);
  const startTime = Date.now() - sinceMs;
  if (!options.follow) {
    const events = await fetchLogEvents(target.clients, target.stack.logGroupName, {
      startTime,
      filterPattern: options.filter,
    });
    for (const event of events) print(event, output);
    if (events.length === 0)
      output.info(`no log events in ${target.stack.logGroupName} since ${options.since} ago`);
    target.clients.destroy();
    return;
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  output.info(`following ${target.stack.logGroupName} (Ctrl-C to stop)`);
  for await (const event of followLogEvents(target.clients, target.stack.logGroupName, {
    startTime,
    signal: controller.signal,
  })) {
    if (options.filter && !event.message.includes(options.filter)) continue;
    print(event, output);
  }
  target.clients.destroy();
}
