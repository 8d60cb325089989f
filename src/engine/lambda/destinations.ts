import type { ActivityEvent, DestinationRole } from "../activity.ts";
import { roleCaller } from "../credentials.ts";
import type { Deliveries, DeliveryMessage } from "../delivery/index.ts";
import type { AsyncOutcome } from "./async-queue.ts";
import type { FunctionRecord } from "./functions.ts";
import { deadLetterAttributes, invocationRecord } from "./invocation-record.ts";

/** Where one outcome goes, and what. */
interface OutcomeDelivery {
  role: DestinationRole;
  /** An SQS queue or a Lambda function (on-success/on-failure); a queue (dead-letter). */
  destinationArn: string;
  message: DeliveryMessage;
}

/**
 * What an asynchronous invocation's outcome sends, per the function's configuration: the invocation record to
 * its on-success or on-failure destination, and (on failure) the original event to its dead-letter queue with
 * AWS's `RequestID`/`ErrorCode`/`ErrorMessage` attributes.
 */
export function outcomeDeliveries(
  record: FunctionRecord,
  outcome: AsyncOutcome,
  now: Date,
): OutcomeDelivery[] {
  const config = record.eventInvokeConfig;
  const destination = outcome.condition === "Success" ? config?.onSuccess : config?.onFailure;
  const deliveries: OutcomeDelivery[] = [];
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
      role: outcome.condition === "Success" ? "on-success" : "on-failure",
      destinationArn: destination,
      message: { body: JSON.stringify(body) },
    });
  }
  if (outcome.condition !== "Success" && record.deadLetterTargetArn) {
    deliveries.push({
      role: "dead-letter",
      destinationArn: record.deadLetterTargetArn,
      message: {
        body: outcome.payload,
        attributes: deadLetterAttributes(outcome.requestId, outcome.response),
      },
    });
  }
  return deliveries;
}

export interface DestinationSenderOptions {
  accountId: string;
  /** The function as it is now (its configuration decides where an outcome goes). */
  lookup(functionName: string): FunctionRecord | undefined;
  /** The engine's delivery module: SQS queues and Lambda functions, by the destination ARN's service. */
  deliveries: Pick<Deliveries, "deliver">;
  log(message: string): void;
  activity(event: ActivityEvent): void;
  /** A failed outcome reached its on-failure destination or dead-letter queue (which now holds the event). */
  failureDelivered?(outcome: AsyncOutcome): void;
}

/**
 * Sends each outcome of the asynchronous queue where the function's configuration says, through the delivery
 * module as the function's execution role (so the role needs `sqs:SendMessage` on a queue, `lambda:InvokeFunction`
 * on a function, as on AWS). A delivery that fails is logged and reported as an `async.destination` activity with
 * `ok: false`, and the event stays in the engine's failed list; a failure that was delivered leaves it
 * (`failureDelivered`): one copy, at the destination.
 */
export function destinationSender(options: DestinationSenderOptions): (outcome: AsyncOutcome) => void {
  return (outcome) => {
    const record = options.lookup(outcome.functionName);
    if (!record) return;
    const principal = {
      kind: "caller" as const,
      caller: roleCaller(options.accountId, record.role, record.name, "(lambda)"),
    };
    for (const delivery of outcomeDeliveries(record, outcome, new Date())) {
      options.deliveries.deliver(delivery.destinationArn, principal, delivery.message, {
        report: (result) => {
          if (result.ok && delivery.role !== "on-success") options.failureDelivered?.(outcome);
          if (!result.ok)
            options.log(
              `lambda: could not send the ${delivery.role} message of ${record.name} (${outcome.requestId}) to ${delivery.destinationArn}: ${result.reason}`,
            );
          options.activity({
            kind: "async.destination",
            functionName: record.name,
            requestId: outcome.requestId,
            role: delivery.role,
            destinationArn: delivery.destinationArn,
            ...(result.ok
              ? { ok: true, deliveryId: result.service === "sqs" ? result.messageId : result.requestId }
              : { ok: false, error: result.reason }),
          });
        },
      });
    }
  };
}
