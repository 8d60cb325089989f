import type { FlowRow } from "../flow.ts";
import type { DashboardSource } from "../routes.ts";
import { base } from "./api.ts";
import { byId } from "./dom.ts";
import type { StackSummary } from "./header.ts";
import type { LogLine } from "./logs-panel.ts";

/** What the server pushes on `<base>/events` (routes.ts and publishFlowUpdate), by event name. */
interface StreamEvents {
  hello: { rows: FlowRow[]; stack: StackSummary; source?: DashboardSource; at: number };
  row: { row: FlowRow; at: number };
  log: { stream: string; events: Array<Omit<LogLine, "stream">>; at: number };
  records: { at: number };
  failed: { at: number };
}

export type StreamHandlers = { [E in keyof StreamEvents]: (data: StreamEvents[E]) => void };

const reconnectMs = 2000;

/**
 * Opens the Server-Sent Events stream and hands each event to its handler; shows the connection state, and
 * reconnects when the server closes the stream (the engine may come back).
 */
export function connectEventStream(handlers: StreamHandlers): void {
  const connection = byId("connection");
  const source = new EventSource(`${base}/events`);
  source.addEventListener("open", () => {
    connection.dataset.state = "live";
    connection.textContent = "Live";
  });
  source.addEventListener("error", () => {
    connection.dataset.state = "lost";
    connection.textContent = "Reconnecting…";
    // EventSource gives up on an error status (engine stopping); keep trying, as the engine may come back.
    if (source.readyState === EventSource.CLOSED) setTimeout(() => connectEventStream(handlers), reconnectMs);
  });
  for (const name of Object.keys(handlers) as Array<keyof StreamEvents>) {
    source.addEventListener(name, (message) => {
      const handler = handlers[name] as (data: unknown) => void;
      handler(JSON.parse((message as MessageEvent<string>).data));
    });
  }
}
