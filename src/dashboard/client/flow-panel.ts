import type { FlowDelivery, FlowRow } from "../flow.ts";
import { type Attributes, byId, h } from "./dom.ts";
import { formatBytes, formatMs, formatTime, shortId } from "./format.ts";
import type { LatencyMeter } from "./latency.ts";

/** The flow timeline: one row per uploaded object, newest first, each with its chain of deliveries. */
export interface FlowPanel {
  /** Replaces every row with a snapshot (newest first), as the event stream's `hello` sends it. */
  reset(snapshot: FlowRow[]): void;
  /** Adds or replaces one row; `emittedAt` is when the server sent it, for the latency meter. */
  upsert(row: FlowRow, emittedAt?: number): void;
}

const maxRows = 200;

/** Badge colour of a row or record status. */
const statusTone = (status: string): string =>
  status === "written"
    ? "ok"
    : status === "duplicate"
      ? "warn"
      : status === "failed" || status === "dropped"
        ? "bad"
        : status.startsWith("skipped")
          ? "idle"
          : status === "uploaded"
            ? "idle"
            : "info";

const step = (label: string, latency: string, extra?: Attributes) =>
  h("span", { class: "step", ...extra }, label, latency ? h("span", { class: "lat", text: latency }) : null);
const arrow = () => h("span", { class: "arrow", "aria-hidden": "true", text: "→" });

function deliveryChain(row: FlowRow, delivery: FlowDelivery, index: number): HTMLLIElement {
  const parts: HTMLElement[] = [];
  if (index === 0 && row.uploadedAt) parts.push(step("uploaded", "", { "data-step": "uploaded" }), arrow());
  const sourceLabel =
    delivery.source === "redrive"
      ? "re-driven"
      : delivery.source === "invoke"
        ? "direct invoke"
        : `delivered${delivery.copy && delivery.copy > 1 ? ` (copy ${delivery.copy})` : ""}`;
  const since = delivery.source === "s3" && row.uploadedAt ? delivery.queuedAt - row.uploadedAt : undefined;
  parts.push(
    step(sourceLabel, since === undefined ? "" : `+${formatMs(since)}`, {
      "data-step": "delivered",
      title: "Time from the upload to the event being queued for the function",
    }),
  );
  const invocations = delivery.invocations ?? [];
  const first = invocations[0];
  const last = invocations[invocations.length - 1];
  if (first && last) {
    const bits = [
      `invocation ${shortId(delivery.requestId)}`,
      invocations.length > 1 ? `attempt ${invocations.length}` : "",
      last.cold ? "cold" : "warm",
      last.endedAt === undefined ? "running…" : formatMs(last.durationMs),
      last.outcome && last.outcome !== "success" ? last.outcome : "",
    ].filter(Boolean);
    parts.push(
      arrow(),
      step(bits.join(" · "), `+${formatMs(first.startedAt - delivery.queuedAt)}`, {
        "data-step": "invocation",
        title: last.error ?? "Time from queued to the first attempt starting; then the run's duration",
      }),
    );
  }
  if (delivery.retry) {
    parts.push(
      arrow(),
      step(`retry after attempt ${delivery.retry.attempt} in ${formatMs(delivery.retry.delayMs)}`, "", {
        "data-step": "retry",
        title: delivery.retry.error,
      }),
    );
  }
  const outcome = delivery.failed
    ? { label: `failed after ${delivery.failed.attempts} attempts`, at: delivery.failed.at, tone: "bad" }
    : delivery.record
      ? {
          label: delivery.record.outcome,
          at: delivery.record.at,
          tone: statusTone(delivery.record.outcome),
        }
      : undefined;
  if (outcome) {
    const from = first?.startedAt ?? delivery.queuedAt;
    parts.push(
      arrow(),
      h(
        "span",
        { class: "step", "data-step": "outcome", "data-outcome": delivery.record?.outcome ?? "failed" },
        h("span", { class: `badge ${outcome.tone}`, text: outcome.label }),
        h("span", { class: "lat", text: `+${formatMs(outcome.at - from)}` }),
      ),
    );
  }
  if (delivery.redrivenAs) parts.push(h("span", { class: "flow-meta", text: "(re-driven)" }));
  return h(
    "li",
    { class: "chain", "data-request-id": delivery.requestId, "data-state": delivery.state },
    parts,
  );
}

function renderRow(row: FlowRow): HTMLLIElement {
  const written = row.deliveries.find((d) => d.record?.outcome === "written");
  const endToEnd = written?.record && row.uploadedAt ? written.record.at - row.uploadedAt : undefined;
  const meta = [
    formatBytes(row.size),
    row.uploadedAt ? `uploaded ${formatTime(row.uploadedAt)}` : "",
    endToEnd !== undefined ? `upload → record ${formatMs(endToEnd)}` : "",
  ].filter(Boolean);
  return h(
    "li",
    { class: "flow-row", "data-row-id": row.id, "data-status": row.status, "data-key": row.key },
    h(
      "div",
      { class: "flow-head" },
      h("span", { class: `badge ${statusTone(row.status)}`, "data-role": "status", text: row.status }),
      h("span", { class: "flow-key", text: row.key }),
      h("span", { class: "flow-meta", text: meta.join(" · ") }),
      row.duplicates > 0
        ? h("span", {
            class: "badge warn",
            "data-role": "duplicates",
            text: `${row.duplicates} duplicate${row.duplicates > 1 ? "s" : ""}`,
          })
        : null,
      row.dropped ? h("span", { class: "badge bad", text: `dropped: ${row.dropped.reason}` }) : null,
    ),
    row.deliveries.length
      ? h(
          "ol",
          { class: "deliveries", "aria-label": `Deliveries of ${row.key}` },
          row.deliveries.map((d, i) => deliveryChain(row, d, i)),
        )
      : null,
  );
}

/** Rows are numbered `r<n>` in upload order. */
const rowOrder = (row: FlowRow) => Number(String(row.id).slice(1)) || 0;

export function createFlowPanel(latency: LatencyMeter): FlowPanel {
  const list = byId("flow-rows");
  const rows = new Map<string, { row: FlowRow; node: HTMLLIElement }>();

  const showSummary = () => {
    const all = [...rows.values()].map((r) => r.row);
    byId("flow-empty").hidden = all.length > 0;
    const count = (status: string) => all.filter((r) => r.status === status).length;
    byId("flow-summary").textContent = all.length
      ? `${all.length} objects · ${count("written")} written · ${count("failed")} failed`
      : "no uploads yet";
  };

  const upsert = (row: FlowRow, emittedAt?: number) => {
    const previous = rows.get(row.id);
    const node = renderRow(row);
    if (previous) {
      previous.node.replaceWith(node);
    } else {
      node.classList.add("fresh");
      // Newest first: before the first row that is older.
      const next = [...rows.values()]
        .filter((r) => rowOrder(r.row) < rowOrder(row))
        .sort((a, b) => rowOrder(b.row) - rowOrder(a.row))[0];
      list.insertBefore(node, next ? next.node : null);
    }
    rows.set(row.id, { row, node });
    if (rows.size > maxRows) {
      const oldest = [...rows.values()].sort((a, b) => rowOrder(a.row) - rowOrder(b.row))[0];
      if (oldest) {
        oldest.node.remove();
        rows.delete(oldest.row.id);
      }
    }
    latency.record(emittedAt);
    showSummary();
  };

  return {
    upsert,
    reset(snapshot) {
      list.replaceChildren();
      rows.clear();
      for (const row of [...snapshot].reverse()) upsert(row);
      showSummary();
    },
  };
}
