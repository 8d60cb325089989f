import type { DashboardSource, stackSummary } from "../routes.ts";
import { byId } from "./dom.ts";
import { formatMs } from "./format.ts";
import type { LatencyMeter } from "./latency.ts";

/** The stack's names, as the event stream's `hello` sends them. */
export type StackSummary = ReturnType<typeof stackSummary>;

/** The header's stack line and the names other panels show. */
export function showStack(stack: StackSummary): void {
  byId("stack-line").textContent =
    `s3://${stack.bucket}/${stack.uploadPrefix} → λ ${stack.functionName} → DynamoDB ${stack.table} (${stack.region})`;
  byId("upload-prefix").textContent = stack.uploadPrefix;
  byId("logs-group").textContent = stack.logGroup;
}

/** Where the data comes from and how fresh it can be: live engine events, or polling of the AWS APIs. */
export function showSource(source: DashboardSource, latency: LatencyMeter): void {
  byId("endpoint").textContent = source.label;
  const line = byId("source-line");
  line.hidden = false;
  const access = source.writable ? "" : " Read-only.";
  line.textContent = source.pollMs
    ? `Reading ${source.label} through the AWS APIs, polled every ${formatMs(source.pollMs)}: updates lag by up to that, plus the time logs take to arrive; upload times are S3's LastModified.${access}`
    : `Live from the ${source.label}.${access}`;
  if (source.pollMs) latency.polling(source.pollMs);
  if (source.failedNote) byId("failed-note").textContent = source.failedNote;
}
