import { buildS3Event } from "../../events/s3-event.ts";
import { s3Arn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { LambdaInternal } from "../internal.ts";
import type { ObjectCreatedEvent } from "../types.ts";
import type { AsyncInvocationQueue } from "./async-queue.ts";
import { parseFunctionReference } from "./function-name.ts";
import { matchingNotifications } from "./notification-match.ts";

/** S3 shows bucket owners by a canonical-ID-like value; LocalStack uses a fixed one, so do we. */
const bucketOwnerId = "A3NL1KOZZKExample";

/**
 * Delivers S3 `ObjectCreated` events to the functions a bucket's notification configuration names: match event
 * type and key filter, check the function's resource policy for `s3.amazonaws.com` (always, even with IAM
 * enforcement off, as AWS does), then queue an asynchronous invocation per copy (fault injection may ask for
 * duplicates and random delays). Deliveries S3 is not allowed to make are dropped silently, as on AWS, with an
 * engine log line and an activity event.
 */
export class S3EventDelivery {
  readonly #context: EngineContext;
  readonly #queue: AsyncInvocationQueue;
  readonly #canInvoke: LambdaInternal["canInvoke"];
  readonly #listener = (event: ObjectCreatedEvent) => this.deliver(event);

  constructor(context: EngineContext, queue: AsyncInvocationQueue, canInvoke: LambdaInternal["canInvoke"]) {
    this.#context = context;
    this.#queue = queue;
    this.#canInvoke = canInvoke;
    context.events.on("objectCreated", this.#listener);
  }

  /** Handles one event; returns how many invocations were queued. */
  deliver(event: ObjectCreatedEvent): number {
    const context = this.#context;
    const notifications = context.internal.s3?.getLambdaNotifications(event.bucket) ?? [];
    let queued = 0;
    for (const notification of matchingNotifications(notifications, event.eventName, event.key)) {
      const functionArn = notification.lambdaFunctionArn;
      const reference = parseFunctionReference(functionArn);
      const permission = reference
        ? this.#canInvoke(functionArn, "s3.amazonaws.com", {
            "aws:SourceArn": s3Arn(event.bucket),
            "aws:SourceAccount": context.accountId,
          })
        : ({ ok: false, reason: "the destination is not a Lambda function ARN" } as const);
      if (!reference || !permission.ok) {
        const reason = permission.ok ? "unknown function" : permission.reason;
        context.log(
          `lambda: dropped S3 event for s3://${event.bucket}/${event.key} to ${functionArn}: ${reason}`,
        );
        context.events.emit("activity", {
          service: "lambda",
          type: "s3.delivery.dropped",
          bucket: event.bucket,
          key: event.key,
          functionArn,
          reason,
        });
        continue;
      }
      const payload = JSON.stringify(
        buildS3Event(event, { region: context.region, configurationId: notification.id, bucketOwnerId }),
      );
      const { deliveryCopies, deliveryJitterMs } = context.faults.options;
      for (let copy = 0; copy < Math.max(1, deliveryCopies); copy += 1) {
        const delayMs = deliveryJitterMs > 0 ? Math.floor(context.faults.random() * deliveryJitterMs) : 0;
        const requestId = this.#queue.enqueue(reference.name, payload, { delayMs });
        queued += 1;
        context.events.emit("activity", {
          service: "lambda",
          type: "s3.delivery.queued",
          bucket: event.bucket,
          key: event.key,
          functionName: reference.name,
          requestId,
          copy: copy + 1,
          delayMs,
        });
      }
    }
    return queued;
  }

  close(): void {
    this.#context.events.off("objectCreated", this.#listener);
  }
}
