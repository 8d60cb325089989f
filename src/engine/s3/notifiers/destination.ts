import { randomBytes } from "node:crypto";
import { type Deliveries, deliveryTarget } from "../../delivery/index.ts";
import type { CallingPrincipal } from "../../types.ts";
import type { NotificationDestination } from "../notifications.ts";
import {
  deliveryCopies,
  type NotificationSource,
  type Notifier,
  type NotifierEnvironment,
  S3_SERVICE_PRINCIPAL,
  type S3Notification,
} from "./notifier.ts";

/** The destination kinds S3 delivers here, the service each must name, and S3's words for a refused check. */
const deliverable = {
  lambda: {
    service: "lambda",
    refusal: (arn: string) => `Not authorized to invoke function [${arn}]`,
  },
  queue: {
    service: "sqs",
    refusal: (_arn: string, missing: boolean) =>
      missing
        ? "The destination queue does not exist"
        : "Permissions on the destination queue do not allow S3 to publish notifications from this bucket",
  },
} as const;

/** The destination kinds with a notifier (`topic` is kept in the configuration and not delivered). */
type DeliverableKind = keyof typeof deliverable;

/** S3 calls destinations as its service principal on behalf of the bucket and its account. */
const asS3 = (source: NotificationSource): CallingPrincipal => ({
  kind: "service",
  service: S3_SERVICE_PRINCIPAL,
  sourceArn: source.bucketArn,
  sourceAccount: source.accountId,
});

/**
 * The message S3 sends a queue when a configuration naming it is saved: no `Records`, so consumers can tell it
 * from events (AWS's documented shape).
 */
function s3TestEvent(bucket: string, now = new Date()): Record<string, string> {
  return {
    Service: "Amazon S3",
    Event: "s3:TestEvent",
    Time: now.toISOString(),
    Bucket: bucket,
    RequestId: randomBytes(8).toString("hex").toUpperCase(),
    HostId: randomBytes(48).toString("base64"),
  };
}

/**
 * The notifier of one destination kind, over the engine's delivery module. Check: the ARN names the kind's
 * service (a `QueueConfiguration` cannot name a function), S3 delivers to standard queues only, and the target's
 * policy lets `s3.amazonaws.com` deliver with the bucket's `aws:SourceArn` and the account's `aws:SourceAccount`
 * (always, even with IAM enforcement off, as AWS does). On configuration, a queue gets `s3:TestEvent`. Delivery:
 * one permission check per event, then one copy per copy fault injection asks for.
 */
export function s3Notifier(
  kind: DeliverableKind,
  deliveries: Pick<Deliveries, "check" | "deliver">,
  environment: NotifierEnvironment,
): Notifier {
  const { service, refusal } = deliverable[kind];
  const dropped = ({ event, destination }: S3Notification, reason: string) => {
    environment.log(
      `s3: dropped S3 event for s3://${event.bucket}/${event.key} to ${destination.arn}: ${reason}`,
    );
    environment.activity({
      kind: "s3.delivery.dropped",
      bucket: event.bucket,
      key: event.key,
      destinationArn: destination.arn,
      reason,
    });
  };
  return {
    kind,
    check(arn, source) {
      if (kind === "queue" && arn.endsWith(".fifo"))
        return { ok: false, message: "FIFO queues are not supported as S3 event notification destinations" };
      if (deliveryTarget(arn).service !== service) return { ok: false, message: refusal(arn, true) };
      const verdict = deliveries.check(arn, asS3(source));
      return verdict.ok ? { ok: true } : { ok: false, message: refusal(arn, verdict.missing) };
    },
    configured(destination: NotificationDestination, source) {
      if (kind !== "queue") return;
      const body = JSON.stringify(s3TestEvent(source.bucket));
      deliveries.deliver(
        destination.arn,
        asS3(source),
        { body },
        {
          report: (sent) => {
            if (!sent.ok) environment.log(`s3: no s3:TestEvent for ${destination.arn}: ${sent.reason}`);
          },
        },
      );
    },
    deliver(notification) {
      const { destination, event, source } = notification;
      if (deliveryTarget(destination.arn).service !== service)
        return dropped(notification, `${destination.arn} is not a ${service} ARN`);
      deliveries.deliver(
        destination.arn,
        asS3(source),
        { body: notification.body },
        {
          // Drawn after the permission check, so fault runs stay reproducible whatever is refused.
          copies: () => deliveryCopies(environment.faults),
          report: (outcome, { copy, delayMs }) => {
            if (!outcome.ok) return dropped(notification, outcome.reason);
            const where = { bucket: event.bucket, key: event.key };
            if (outcome.service === "lambda") {
              environment.activity({
                kind: "s3.delivery.queued",
                ...where,
                functionName: outcome.functionName,
                requestId: outcome.requestId,
                copy,
                delayMs,
              });
            } else {
              environment.activity({
                kind: "s3.delivery.sent",
                ...where,
                queueArn: destination.arn,
                messageId: outcome.messageId,
                copy,
                delayMs,
              });
            }
          },
        },
      );
    },
  };
}
