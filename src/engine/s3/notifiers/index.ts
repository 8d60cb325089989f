import { buildS3Event } from "../../../events/s3-event.ts";
import { s3Arn } from "../../arn.ts";
import type { EngineContext } from "../../context.ts";
import { Deliveries, type DeliveryTargets } from "../../delivery/index.ts";
import type { ObjectCreatedEvent } from "../../types.ts";
import type { NotificationConfiguration, NotificationDestination } from "../notifications.ts";
import { s3Notifier } from "./destination.ts";
import { keyFilter, matchingNotifications } from "./match.ts";
import type { NotificationSource, Notifier, NotifierEnvironment } from "./notifier.ts";

export type { NotificationSource, Notifier, NotifierEnvironment, S3Notification } from "./notifier.ts";
export { deliveryCopies } from "./notifier.ts";

/** The services S3 delivers to, by the typed API each offers (what the delivery module needs of them). */
export interface NotificationTargets {
  lambda: NonNullable<DeliveryTargets["lambda"]>;
  sqs: NonNullable<DeliveryTargets["sqs"]>;
}

/** S3 shows bucket owners by a canonical-ID-like value; LocalStack uses a fixed one, so do we. */
const bucketOwnerId = "A3NL1KOZZKExample";

/** One notifier per destination type S3 can deliver to here. */
export function createNotifiers(targets: NotificationTargets, environment: NotifierEnvironment): Notifier[] {
  const deliveries = new Deliveries(() => targets);
  return [s3Notifier("lambda", deliveries, environment), s3Notifier("queue", deliveries, environment)];
}

/**
 * S3's event notifications: on each `objectCreated` the engine publishes (once the write is durable), finds the
 * bucket's destinations whose event types and key filter match, and hands the event to the notifier of each
 * destination's type. Destination types without a notifier here are kept in the configuration and not delivered.
 */
export class S3EventNotifications {
  readonly #context: EngineContext;
  readonly #notifiers: Map<NotificationDestination["kind"], Notifier>;
  readonly #configuration: (bucket: string) => NotificationConfiguration | undefined;
  readonly #listener = (event: ObjectCreatedEvent) => {
    this.deliver(event);
  };

  constructor(options: {
    context: EngineContext;
    notifiers: Notifier[];
    /** The bucket's stored configuration. */
    configuration(bucket: string): NotificationConfiguration | undefined;
  }) {
    this.#context = options.context;
    this.#notifiers = new Map(options.notifiers.map((notifier) => [notifier.kind, notifier]));
    this.#configuration = options.configuration;
    this.#context.events.on("objectCreated", this.#listener);
  }

  source(bucket: string): NotificationSource {
    return { bucket, bucketArn: s3Arn(bucket), accountId: this.#context.accountId };
  }

  /**
   * PutBucketNotificationConfiguration's destination checks: the failures as S3 lists them in its
   * `InvalidArgument` error (`ArgumentName1`, `ArgumentValue1`, ...); empty when every destination passes.
   */
  check(bucket: string, destinations: NotificationDestination[]): Record<string, string> {
    const failures: Record<string, string> = {};
    let index = 0;
    for (const destination of destinations) {
      const verdict = this.#notifiers.get(destination.kind)?.check(destination.arn, this.source(bucket));
      if (verdict && !verdict.ok) {
        index += 1;
        failures[`ArgumentName${index}`] = destination.arn;
        failures[`ArgumentValue${index}`] = verdict.message;
      }
    }
    return failures;
  }

  /** Tells each destination's notifier that a configuration naming it was saved. */
  configured(bucket: string, configuration: NotificationConfiguration): void {
    for (const destination of configuration.destinations)
      this.#notifiers.get(destination.kind)?.configured?.(destination, this.source(bucket));
  }

  /** Hands one event to the notifier of each matching destination. */
  deliver(event: ObjectCreatedEvent): void {
    const destinations = (this.#configuration(event.bucket)?.destinations ?? []).map((destination) => ({
      destination,
      events: destination.events,
      ...keyFilter(destination.filterRules),
    }));
    for (const { destination } of matchingNotifications(destinations, event.eventName, event.key)) {
      const notifier = this.#notifiers.get(destination.kind);
      if (!notifier) continue;
      const body = JSON.stringify(
        buildS3Event(event, {
          region: this.#context.region,
          configurationId: destination.id,
          bucketOwnerId,
        }),
      );
      notifier.deliver({ destination, event, body, source: this.source(event.bucket) });
    }
  }

  close(): void {
    this.#context.events.off("objectCreated", this.#listener);
  }
}
