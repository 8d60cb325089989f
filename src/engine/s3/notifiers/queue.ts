import { randomBytes } from "node:crypto";
import type { QueueSender, QueueSenderIdentity } from "../../sqs/contract.ts";
import {
  deliveryCopies,
  type NotificationSource,
  type Notifier,
  type NotifierEnvironment,
  S3_SERVICE_PRINCIPAL,
  type S3Notification,
} from "./notifier.ts";

/** What the queue notifier needs of SQS. */
export type QueueTarget = QueueSender;

const asS3 = (source: NotificationSource): QueueSenderIdentity => ({
  kind: "service",
  service: S3_SERVICE_PRINCIPAL,
  sourceArn: source.bucketArn,
  sourceAccount: source.accountId,
});

/**
 * The message S3 sends a queue when a configuration naming it is saved: no `Records`, so consumers can tell it
 * from events (AWS's documented shape).
 */
export function s3TestEvent(bucket: string, now = new Date()): Record<string, string> {
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
 * `QueueConfiguration` destinations. Check: the queue exists and its policy lets `s3.amazonaws.com` send to it
 * with `aws:SourceArn` = the bucket and `aws:SourceAccount` = its owner (always, even with IAM enforcement off, as
 * AWS does). On configuration: an `s3:TestEvent` message. Delivery: the S3 event message through SQS's
 * QueueSender, as `s3.amazonaws.com`, one per copy fault injection asks for.
 */
export function queueNotifier(sqs: QueueTarget, environment: NotifierEnvironment): Notifier {
  const report = (notification: S3Notification, type: string, extra: Record<string, unknown>) => {
    const { event, destination } = notification;
    environment.activity({
      service: "sqs",
      type,
      bucket: event.bucket,
      key: event.key,
      queueArn: destination.arn,
      ...extra,
    });
  };
  const dropped = (notification: S3Notification, reason: string) => {
    const { event, destination } = notification;
    environment.log(
      `s3: dropped S3 event for s3://${event.bucket}/${event.key} to ${destination.arn}: ${reason}`,
    );
    report(notification, "s3.delivery.dropped", { reason });
  };
  return {
    kind: "queue",
    check(queueArn, source) {
      // S3 delivers to standard queues only.
      if (queueArn.endsWith(".fifo"))
        return { ok: false, message: "FIFO queues are not supported as S3 event notification destinations" };
      const verdict = sqs.canSend(queueArn, asS3(source));
      if (verdict.ok) return { ok: true };
      return verdict.reason.startsWith("queue does not exist")
        ? { ok: false, message: "The destination queue does not exist" }
        : {
            ok: false,
            message:
              "Permissions on the destination queue do not allow S3 to publish notifications from this bucket",
          };
    },
    configured(destination, source) {
      void sqs
        .sendMessage(destination.arn, JSON.stringify(s3TestEvent(source.bucket)), asS3(source))
        .then((sent) => {
          if (!sent.ok) environment.log(`s3: no s3:TestEvent for ${destination.arn}: ${sent.message}`);
        });
    },
    deliver(notification) {
      const { destination, source } = notification;
      const permission = sqs.canSend(destination.arn, asS3(source));
      if (!permission.ok) return dropped(notification, permission.reason);
      for (const { copy, delayMs } of deliveryCopies(environment.faults)) {
        const send = async () => {
          const sent = await sqs.sendMessage(destination.arn, notification.body, asS3(source));
          if (sent.ok) report(notification, "s3.delivery.sent", { messageId: sent.messageId, copy, delayMs });
          else dropped(notification, `${sent.code}: ${sent.message}`);
        };
        if (delayMs > 0) setTimeout(() => void send(), delayMs).unref();
        else void send();
      }
    },
  };
}
