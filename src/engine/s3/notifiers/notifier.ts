import type { ActivityEvent } from "../../activity.ts";
import type { FaultInjector } from "../../context.ts";
import type { ObjectCreatedEvent } from "../../types.ts";
import type { NotificationDestination } from "../notifications.ts";

/**
 * One notifier per destination type of a bucket's notification configuration (Lambda and SQS; SNS next):
 * its destination check, run when the configuration is put, and its delivery. S3 delivers through the engine's
 * delivery module (`delivery/`), as the service principal `s3.amazonaws.com` on behalf of the bucket
 * ({@link NotificationSource}), never through another service's internals.
 */

/** The service principal S3 calls destinations as. */
export const S3_SERVICE_PRINCIPAL = "s3.amazonaws.com";

/** The bucket a notification is for: what the destination's policy sees as `aws:SourceArn` / `aws:SourceAccount`. */
export interface NotificationSource {
  bucket: string;
  /** `arn:aws:s3:::<bucket>` */
  bucketArn: string;
  accountId: string;
}

/** One event for one matching destination. */
export interface S3Notification {
  destination: NotificationDestination;
  event: ObjectCreatedEvent;
  /** The S3 event message (`{"Records":[...]}`), as JSON text. */
  body: string;
  source: NotificationSource;
}

type DestinationCheck = { ok: true } | { ok: false; message: string };

/** What notifiers get from S3: where to log, how to report activity, and fault injection. */
export interface NotifierEnvironment {
  readonly accountId: string;
  readonly faults: FaultInjector;
  log(message: string): void;
  /** Publishes an engine `activity` event (dashboard, tests). */
  activity(event: ActivityEvent): void;
}

export interface Notifier {
  /** The destinations this notifier serves. */
  readonly kind: NotificationDestination["kind"];
  /**
   * PutBucketNotificationConfiguration's check of one destination (skipped with
   * `x-amz-skip-destination-validation: true`); the failure message is the `ArgumentValue` S3 answers.
   */
  check(destinationArn: string, source: NotificationSource): DestinationCheck;
  /** After a configuration naming this destination is saved (SQS sends `s3:TestEvent`). */
  configured?(destination: NotificationDestination, source: NotificationSource): void;
  /**
   * Delivers one notification, at least once: with fault injection, several copies, each after a random delay
   * (see {@link deliveryCopies}). A delivery S3 may not make is dropped, with a log line and an activity event.
   */
  deliver(notification: S3Notification): void;
}

/**
 * The copies of one delivery fault injection asks for (`deliveryCopies`, at least one) and each one's delay
 * (`deliveryJitterMs`), drawn from the seeded RNG in order so runs are reproducible.
 *
 * @example deliveryCopies(new FaultInjector({ deliveryCopies: 2 })) // [{ copy: 1, delayMs: 0 }, { copy: 2, delayMs: 0 }]
 */
export function deliveryCopies(faults: FaultInjector): Array<{ copy: number; delayMs: number }> {
  const { deliveryCopies: count, deliveryJitterMs } = faults.options;
  const copies: Array<{ copy: number; delayMs: number }> = [];
  for (let copy = 1; copy <= Math.max(1, count); copy += 1) {
    copies.push({ copy, delayMs: deliveryJitterMs > 0 ? Math.floor(faults.random() * deliveryJitterMs) : 0 });
  }
  return copies;
}
