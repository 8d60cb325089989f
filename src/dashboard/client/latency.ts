import { byId, debounce } from "./dom.ts";
import { clock, formatMs } from "./format.ts";

declare global {
  interface Window {
    /** Tests read these to measure update latency. */
    pipelineDashboard?: { latencies: number[] };
  }
}

/** Update latency (server emit time → DOM updated), shown in the footer. */
export interface LatencyMeter {
  /** Counts one update whose event the server stamped at `emittedAt` (epoch ms); ignores a missing stamp. */
  record(emittedAt: number | undefined): void;
  /** Says the updates come from polling every `pollMs`, so the figure includes that lag. */
  polling(pollMs: number): void;
}

export function createLatencyMeter(): LatencyMeter {
  const latencies: number[] = [];
  const text = byId("latency");
  let label = "Live update latency";
  const show = debounce(() => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)];
    const max = sorted[sorted.length - 1];
    text.textContent = `${label}: p50 ${formatMs(p50)}, max ${formatMs(max)} over ${sorted.length} updates`;
  }, 200);
  window.pipelineDashboard = { latencies };
  return {
    record(emittedAt) {
      if (typeof emittedAt !== "number") return;
      latencies.push(clock() - emittedAt);
      if (latencies.length > 1000) latencies.shift();
      show();
    },
    polling(pollMs) {
      label = `Update latency (event → page, polling every ${formatMs(pollMs)})`;
      if (!latencies.length) text.textContent = `${label}: waiting for events`;
    },
  };
}
