import type { LogEvent } from "../../pipeline/logs.ts";
import { api, messageOf } from "./api.ts";
import { byId, h } from "./dom.ts";
import { formatTime } from "./format.ts";
import type { LatencyMeter } from "./latency.ts";

/** A function log line as the panel gets it, over the event stream (no id) or from `/api/logs`. */
export type LogLine = Pick<LogEvent, "timestamp" | "stream" | "message">;

/** Function logs, newest first, structured lines expanded, filtered in the page. */
export interface LogsPanel {
  /** Adds lines not seen yet; `emittedAt` is when the server sent them, for the latency meter. */
  add(lines: LogLine[], emittedAt?: number): void;
  /** Loads the recent lines (on start). */
  load(): Promise<void>;
}

const maxLines = 500;

function parseJsonLine(message: string): Record<string, unknown> | undefined {
  const text = message.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function renderLine(line: LogLine): HTMLLIElement {
  const json = parseJsonLine(line.message);
  const runtime = /^(START|END|REPORT|INIT_START|INIT_REPORT) /.exec(line.message);
  const level =
    (json?.level as string | undefined) ??
    (runtime ? runtime[1] : /\t(ERROR|WARN|INFO|DEBUG)\t/.exec(line.message)?.[1]);
  const tone = level === "ERROR" ? "bad" : level === "WARN" ? "warn" : level === "INFO" ? "info" : "idle";
  const headline = json
    ? [json.message, json.outcome, json.key].filter(Boolean).join(" · ")
    : line.message.split("\n")[0];
  return h(
    "li",
    { class: "log-line", "data-search": line.message.toLowerCase() },
    h(
      "div",
      { class: "log-head" },
      h("span", { class: "log-time", text: formatTime(line.timestamp) }),
      level ? h("span", { class: `badge ${tone}`, text: level }) : null,
      h("span", { class: json ? "" : "log-plain", text: headline }),
    ),
    json ? h("pre", { text: JSON.stringify(json, null, 2) }) : null,
  );
}

export function createLogsPanel(latency: LatencyMeter): LogsPanel {
  const list = byId("log-lines");
  const filter = byId<HTMLInputElement>("logs-filter");
  const group = byId("logs-group");
  const seen = new Set<string>();

  const applyFilter = (node: HTMLElement) => {
    const needle = filter.value.trim().toLowerCase();
    node.hidden = Boolean(needle) && !node.dataset.search?.includes(needle);
  };
  filter.addEventListener("input", () => {
    for (const node of list.children) applyFilter(node as HTMLElement);
  });

  const add = (lines: LogLine[], emittedAt?: number) => {
    let added = false;
    for (const line of lines) {
      const id = `${line.timestamp}|${line.stream}|${line.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = renderLine(line);
      applyFilter(node);
      list.prepend(node);
      added = true;
    }
    while (list.children.length > maxLines) list.lastElementChild?.remove();
    if (seen.size > maxLines * 4) seen.clear();
    byId("logs-empty").hidden = list.children.length > 0;
    if (added) latency.record(emittedAt);
  };

  return {
    add,
    async load() {
      try {
        const body = await api<{ group: string; events: LogEvent[] }>("/api/logs");
        group.textContent = body.group;
        add(body.events);
      } catch (error) {
        group.textContent = `could not load logs: ${messageOf(error)}`;
      }
    },
  };
}
