import type { AwsClients } from "../src/aws/clients.ts";
import { fetchLogEvents, parseJsonLogLine } from "../src/pipeline/logs.ts";

/** Tells the bench when the function reported a key's record written; `stop()` ends the observation. */
export interface WrittenObserver {
  stop(): Promise<void>;
}

export type ObserverKind = "events" | "logs";

/**
 * How the end-to-end run sees a record written, chosen by `BENCH_OBSERVE`:
 * - `events` (default): the engine's dashboard stream (`/_pipeline/events`, server-sent events) pushes each flow
 *   row as it changes; a row reaching `written` is the function's `record written` line, which it logs after its
 *   conditional PutItem returned. Nothing polls, so the observer adds almost no load.
 * - `logs`: one FilterLogEvents poll of the function's log group every 5 ms, looking for the same line. Works on any
 *   endpoint, but the polling costs the engine CPU the pipeline then lacks (compare both to see the effect).
 */
export function observeWritten(
  kind: ObserverKind,
  target: { endpoint: string; clients: AwsClients; logGroupName: string },
  onWritten: (key: string, at: number) => void,
): Promise<WrittenObserver> {
  return kind === "logs"
    ? pollLogs(target.clients, target.logGroupName, onWritten)
    : streamEvents(target.endpoint, onWritten);
}

async function streamEvents(
  endpoint: string,
  onWritten: (key: string, at: number) => void,
): Promise<WrittenObserver> {
  const controller = new AbortController();
  const response = await fetch(`${endpoint}/_pipeline/events`, { signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`bench: /_pipeline/events answered ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const now = performance.now();
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        if (!frame.startsWith("event: row\n")) continue;
        const data = frame.slice(frame.indexOf("\ndata: ") + 7);
        const { row } = JSON.parse(data) as { row: { key: string; status: string } };
        if (row.status === "written") onWritten(row.key, now);
      }
    }
  })().catch((error: Error) => {
    if (error.name !== "AbortError") throw error;
  });
  return {
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

async function pollLogs(
  clients: AwsClients,
  logGroupName: string,
  onWritten: (key: string, at: number) => void,
): Promise<WrittenObserver> {
  let polling = true;
  const poller = (async () => {
    let cursor = Date.now() - 1000;
    const seen = new Set<string>();
    while (polling) {
      const events = await fetchLogEvents(clients, logGroupName, { startTime: cursor });
      const now = performance.now();
      for (const event of events) {
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        cursor = Math.max(cursor, event.timestamp - 50);
        const line = parseJsonLogLine(event.message);
        if (line?.outcome === "written" && typeof line.key === "string") onWritten(line.key, now);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
    },
  };
}
