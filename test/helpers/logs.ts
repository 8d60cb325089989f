import type { AwsClients } from "../../src/aws/clients.ts";
import { fetchLogEvents, type LogEvent } from "../../src/pipeline/logs.ts";

/**
 * The log events of one invocation, found without a filter pattern (LocalStack community ignores them and returns
 * every event): in the stream holding `START RequestId: <id>`, the events from there to its `REPORT RequestId: <id>`,
 * in order. Undefined until the REPORT line has arrived (logs trail the invocation; poll).
 */
export async function invocationLogEvents(
  clients: AwsClients,
  logGroupName: string,
  requestId: string,
  startTime: number,
): Promise<LogEvent[] | undefined> {
  const events = await fetchLogEvents(clients, logGroupName, { startTime });
  return invocationEvents(events, requestId);
}

/** The pure part of {@link invocationLogEvents}: picks one invocation's events out of a group's. */
export function invocationEvents(events: readonly LogEvent[], requestId: string): LogEvent[] | undefined {
  const start = events.find((e) => e.message.startsWith(`START RequestId: ${requestId}`));
  if (!start) return undefined;
  const stream = events.filter((e) => e.stream === start.stream);
  const from = stream.indexOf(start);
  const to = stream.findIndex((e, i) => i > from && e.message.startsWith(`REPORT RequestId: ${requestId}`));
  return to === -1 ? undefined : stream.slice(from, to + 1);
}
