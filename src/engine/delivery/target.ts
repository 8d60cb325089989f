/**
 * Which service a delivery target ARN names, and what a principal needs to deliver there: pure, so the routing
 * and its refusals are unit-tested without a service.
 */

/** The services the engine delivers to, each with its carrier in `delivery/<service>.ts`. */
export type DeliveryService = "sqs" | "lambda";

/** The IAM action a signed principal (an execution role) needs on the target to deliver to it. */
export const deliveryAction: Readonly<Record<DeliveryService, string>> = {
  sqs: "sqs:SendMessage",
  lambda: "lambda:InvokeFunction",
};

type DeliveryTarget =
  | { ok: true; service: DeliveryService; arn: string }
  | { ok: false; service: string | undefined; reason: string };

const arnPattern = /^arn:aws[a-zA-Z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;
const queueName = /^[\w-]{1,80}$/;
const functionResource = /^function:[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

/**
 * The target an ARN names, by its service field: `arn:aws:sqs:<region>:<account>:<queue>` or
 * `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`. Any other service (SNS, EventBridge, S3)
 * is refused with a sentence naming it: the engine does not run it.
 *
 * @example deliveryTarget("arn:aws:lambda:us-east-1:000000000000:function:f") // { ok: true, service: "lambda", arn }
 */
export function deliveryTarget(arn: string): DeliveryTarget {
  const parts = arnPattern.exec(arn);
  if (!parts) return { ok: false, service: undefined, reason: `${arn} is not an ARN` };
  const service = parts[1] as string;
  const resource = parts[4] as string;
  if (service === "sqs" && queueName.test(resource)) return { ok: true, service, arn };
  if (service === "lambda" && functionResource.test(resource)) return { ok: true, service, arn };
  if (service === "sqs" || service === "lambda")
    return {
      ok: false,
      service,
      reason: `${arn} does not name a ${service === "sqs" ? "queue" : "function"}`,
    };
  return {
    ok: false,
    service,
    reason: `The embedded engine delivers to SQS queues and Lambda functions only, not to ${arn}.`,
  };
}
