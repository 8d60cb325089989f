import { roleCaller } from "../context.ts";
import type { QueueSender, QueueSendOptions } from "../sqs/contract.ts";
import type { AsyncOutcome } from "./async-queue.ts";
import type { FunctionRecord } from "./functions.ts";
import { deadLetterAttributes, invocationRecord } from "./invocation-record.ts";

/** Where one outcome goes. */
interface Delivery {
  /** `on-success`, `on-failure`, `dead-letter`: for activity events and log lines. */
  target: "on-success" | "on-failure" | "dead-letter";
  queueArn: string;
  body: string;
  options?: QueueSendOptions;
}

/**
 * What an asynchronous invocation's outcome sends, per the function's configuration: the invocation record to
 * its on-success or on-failure destination, and (on failure) the original event to its dead-letter queue with
 * AWS's `RequestID`/`ErrorCode`/`ErrorMessage` attributes.
 */
export function outcomeDeliveries(record: FunctionRecord, outcome: AsyncOutcome, now: Date): Delivery[] {
  const config = record.eventInvokeConfig;
  const destination = outcome.condition === "Success" ? config?.onSuccess : config?.onFailure;
  const deliveries: Delivery[] = [];
  if (destination) {
    const body = invocationRecord({
      requestId: outcome.requestId,
      functionArn: record.arn,
      condition: outcome.condition,
      approximateInvokeCount: outcome.attempts,
      requestPayload: outcome.payload,
      ...(outcome.response ? { response: outcome.response } : {}),
      timestamp: now,
    });
    deliveries.push({
      target: outcome.condition === "Success" ? "on-success" : "on-failure",
      queueArn: destination,
      body: JSON.stringify(body),
    });
  }
  if (outcome.condition !== "Success" && record.deadLetterTargetArn) {
    deliveries.push({
      target: "dead-letter",
      queueArn: record.deadLetterTargetArn,
      body: outcome.payload,
      options: { messageAttributes: deadLetterAttributes(outcome.requestId, outcome.response) },
    });
  }
  return deliveries;
}

export interface DestinationSenderOptions {
  accountId: string;
  /** The function as it is now (its configuration decides where an outcome goes). */
  lookup(functionName: string): FunctionRecord | undefined;
  /** SQS's in-process sender; absent, nothing can be delivered and each delivery is logged as dropped. */
  queues: QueueSender | undefined;
  log(message: string): void;
  activity(event: Record<string, unknown>): void;
  /** A failed outcome reached its on-failure destination or dead-letter queue (the queue now holds the event). */
  failureDelivered?(outcome: AsyncOutcome): void;
}

/**
 * Sends each outcome of the asynchronous queue where the function's configuration says, through SQS's
 * QueueSender as the function's execution role (so the role needs `sqs:SendMessage` on the queue, as on AWS).
 * A send that fails is logged and reported as an `async.destination` activity with `ok: false`, and the event stays
 * in the engine's failed list; a failure that was sent leaves it (`failureDelivered`): one copy, in the queue.
 */
export function destinationSender(options: DestinationSenderOptions): (outcome: AsyncOutcome) => void {
  return (outcome) => {
    const record = options.lookup(outcome.functionName);
    if (!record) return;
    const sender = {
      kind: "caller" as const,
      caller: roleCaller(options.accountId, record.role, record.name, "(lambda)"),
    };
    for (const delivery of outcomeDeliveries(record, outcome, new Date())) {
      const report = (result: { ok: true; messageId: string } | { ok: false; message: string }) => {
        if (result.ok && delivery.target !== "on-success") options.failureDelivered?.(outcome);
        if (!result.ok)
          options.log(
            `lambda: could not send the ${delivery.target} message of ${record.name} (${outcome.requestId}) to ${delivery.queueArn}: ${result.message}`,
          );
        options.activity({
          service: "lambda",
          type: "async.destination",
          functionName: record.name,
          requestId: outcome.requestId,
          target: delivery.target,
          queueArn: delivery.queueArn,
          ...(result.ok ? { ok: true, messageId: result.messageId } : { ok: false, error: result.message }),
        });
      };
      if (!options.queues) {
        report({ ok: false, message: "the engine runs no SQS service" });
        continue;
      }
      options.queues.sendMessage(delivery.queueArn, delivery.body, sender, delivery.options).then(
        (result) => report(result.ok ? result : { ok: false, message: `${result.code}: ${result.message}` }),
        (error: unknown) => report({ ok: false, message: String(error) }),
      );
    }
  };
}
