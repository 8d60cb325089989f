import type { LambdaInvokeApi } from "../../lambda/contract.ts";
import {
  deliveryCopies,
  type NotificationSource,
  type Notifier,
  type NotifierEnvironment,
  S3_SERVICE_PRINCIPAL,
} from "./notifier.ts";

/** What the Lambda notifier needs of Lambda. */
export type LambdaTarget = Pick<LambdaInvokeApi, "canInvoke" | "invokeAsync">;

const sourceConditions = (source: NotificationSource) => ({
  "aws:SourceArn": source.bucketArn,
  "aws:SourceAccount": source.accountId,
});

/**
 * `LambdaFunctionConfiguration` destinations. Check: the function's resource policy lets `s3.amazonaws.com`
 * invoke it for this bucket and account (always, even with IAM enforcement off, as AWS does). Delivery: Lambda's
 * asynchronous invoke, as `s3.amazonaws.com`, one per copy fault injection asks for.
 */
export function lambdaNotifier(lambda: LambdaTarget, environment: NotifierEnvironment): Notifier {
  const dropped = (notification: Parameters<Notifier["deliver"]>[0], reason: string) => {
    const { event, destination } = notification;
    environment.log(
      `s3: dropped S3 event for s3://${event.bucket}/${event.key} to ${destination.arn}: ${reason}`,
    );
    environment.activity({
      service: "lambda",
      type: "s3.delivery.dropped",
      bucket: event.bucket,
      key: event.key,
      functionArn: destination.arn,
      reason,
    });
  };
  return {
    kind: "lambda",
    check(functionArn, source) {
      return lambda.canInvoke(functionArn, S3_SERVICE_PRINCIPAL, sourceConditions(source)).ok
        ? { ok: true }
        : { ok: false, message: `Not authorized to invoke function [${functionArn}]` };
    },
    deliver(notification) {
      const { destination, event, source } = notification;
      // Checked once per event, before the copies are drawn, so fault runs stay reproducible.
      const permission = lambda.canInvoke(destination.arn, S3_SERVICE_PRINCIPAL, sourceConditions(source));
      if (!permission.ok) return dropped(notification, permission.reason);
      for (const { copy, delayMs } of deliveryCopies(environment.faults)) {
        const queued = lambda.invokeAsync(destination.arn, notification.body, {
          invoker: {
            kind: "service",
            service: S3_SERVICE_PRINCIPAL,
            sourceArn: source.bucketArn,
            sourceAccount: source.accountId,
          },
          delayMs,
        });
        if (!queued.ok) {
          dropped(notification, queued.reason);
          continue;
        }
        environment.activity({
          service: "lambda",
          type: "s3.delivery.queued",
          bucket: event.bucket,
          key: event.key,
          functionName: queued.functionName,
          requestId: queued.requestId,
          copy,
          delayMs,
        });
      }
    },
  };
}
