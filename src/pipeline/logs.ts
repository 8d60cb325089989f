import { type FilteredLogEvent, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { AwsClients } from "../aws/clients.ts";
import { isNotFoundError } from "../aws/errors.ts";

export interface LogEvent {
  timestamp: number;
  stream: string;
  message: string;
  eventId: string;
}

/** Parses durations like `30s`, `10m`, `2h`, `1d` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as "ms" | "s" | "m" | "h" | "d"
  ];
  return Number(match[1]) * unit;
}

const toEvent = (e: FilteredLogEvent): LogEvent => ({
  timestamp: e.timestamp ?? 0,
  stream: e.logStreamName ?? "",
  message: (e.message ?? "").replace(/\n$/, ""),
  eventId: e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`,
});

/** All events of a log group in a time window (FilterLogEvents, paged); a missing group yields none. */
export async function fetchLogEvents(
  clients: Pick<AwsClients, "logs">,
  logGroupName: string,
  options: { startTime: number; endTime?: number; filterPattern?: string },
): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await clients.logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          startTime: options.startTime,
          ...(options.endTime ? { endTime: options.endTime } : {}),
          ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
          nextToken,
        }),
      );
      events.push(...(page.events ?? []).map(toEvent));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (isNotFoundError(error)) return [];
    throw error;
  }
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

/**
 * Streams new events as they arrive (polling FilterLogEvents), like `aws logs tail --follow`.
 * Events are de-duplicated by id because windows overlap by a second to tolerate clock skew.
 */
export async function* followLogEvents(
  clients: Pick<AwsClients, "logs">,
  logGroupName: string,
  options: { startTime: number; pollMs?: number; signal?: AbortSignal },
): AsyncGenerator<LogEvent> {
  const seen = new Set<string>();
  let since = options.startTime;
  while (!options.signal?.aborted) {
    const events = await fetchLogEvents(clients, logGroupName, { startTime: since });
    for (const event of events) {
      if (seen.has(event.eventId)) continue;
      seen.add(event.eventId);
      since = Math.max(since, event.timestamp - 1000);
      yield event;
    }
    if (seen.size > 50_000) seen.clear();
    await new Promise<void>((resolve) => {
      // One listener per poll, removed again: a long follow must not pile them up on the signal.
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve();
      }, options.pollMs ?? 500);
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** A function log line as structured data when it is JSON (Powertools), else undefined. */
export function parseJsonLogLine(message: string): Record<string, unknown> | undefined {
  const trimmed = message.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
