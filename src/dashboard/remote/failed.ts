import type { FailedEventView } from "../../engine/control.ts";
import type { FlowDelivery, FlowRow } from "../flow.ts";

/** A delivery the remote dashboard lists as failed, with the row it belongs to. */
export interface FailedDelivery {
  row: FlowRow;
  delivery: FlowDelivery;
}

/**
 * Deliveries whose function run failed (a `failed` record outcome or an invocation error) and that nothing
 * fixed since: not re-driven, and no other delivery of the object wrote its record. Without an engine there
 * is no failed-event list to read (a DLQ or on-failure destination is not part of the stack), so the log is
 * the evidence. Newest first, as `rows` is.
 */
export function failedDeliveries(rows: FlowRow[]): FailedDelivery[] {
  return rows.flatMap((row) =>
    row.status === "written"
      ? []
      : row.deliveries
          .filter((delivery) => delivery.state === "failed" && delivery.redrivenAs === undefined)
          .reverse()
          .map((delivery) => ({ row, delivery })),
  );
}

/** The failed-events panel's view of one failed delivery; its id is the delivery's request ID. */
export function failedDeliveryView(failed: FailedDelivery, functionName: string): FailedEventView {
  const { row, delivery } = failed;
  const first = delivery.invocations[0];
  const last = delivery.invocations.at(-1);
  const error = last?.error ?? delivery.failed?.error;
  const separator = error?.indexOf(": ") ?? -1;
  const errorType = error && separator > 0 ? error.slice(0, separator) : "Error";
  const errorMessage =
    error && separator > 0
      ? error.slice(separator + 2)
      : (error ??
        delivery.record?.detail ??
        `the function reported ${delivery.record?.outcome ?? "an error"}`);
  const failedAt = last?.endedAt ?? delivery.record?.at ?? delivery.queuedAt;
  return {
    id: delivery.requestId,
    functionName,
    keys: [row.key],
    attempts: Math.max(1, delivery.invocations.length),
    errorType,
    errorMessage,
    requestIds: [delivery.requestId],
    firstAttemptAt: new Date(first?.startedAt ?? delivery.queuedAt).toISOString(),
    failedAt: new Date(failedAt).toISOString(),
  };
}
