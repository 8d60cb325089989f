import type { AwsClients } from "../aws/clients.ts";
import { fetchLogEvents, type LogEvent } from "../pipeline/logs.ts";

/** The newest `limit` events of a log group, oldest first (the logs panel's initial fill; SSE adds the rest). */
export async function recentLogEvents(
  clients: AwsClients,
  logGroupName: string,
  options: { limit: number; sinceMs?: number },
): Promise<LogEvent[]> {
  const events = await fetchLogEvents(clients, logGroupName, { startTime: options.sinceMs ?? 0 });
  return events.slice(-options.limit);
}
