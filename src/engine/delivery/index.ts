import type { LambdaInvokeApi } from "../lambda/contract.ts";
import type { QueueSender } from "../sqs/contract.ts";
import type { CallingPrincipal } from "../types.ts";
import type { Carrier, DeliveryCheck, DeliveryMessage, DeliveryOutcome } from "./carrier.ts";
import { lambdaCarrier } from "./lambda.ts";
import { sqsCarrier } from "./sqs.ts";
import { type DeliveryService, deliveryTarget } from "./target.ts";

export type { DeliveryMessage } from "./carrier.ts";
export { deliveryAction, deliveryTarget } from "./target.ts";

/**
 * The engine's one way to deliver a message to another service's resource, keyed by the target ARN's service:
 * S3's event notifications and Lambda's destinations and dead-letter queues both use it. The caller names the
 * target, who delivers (`CallingPrincipal`: a service principal on behalf of a source ARN and account, or a
 * signed role) and the message; the carrier of the target's service (`sqs.ts`, `lambda.ts`) checks the
 * permission once and carries each copy through that service's typed API.
 */

/** The typed APIs deliveries go through; a service the engine does not run is absent. */
export interface DeliveryTargets {
  sqs?: Pick<QueueSender, "canSend" | "authorizeSend"> | undefined;
  lambda?: Pick<LambdaInvokeApi, "canInvoke" | "authorizeInvoke"> | undefined;
}

/** One copy of a delivery (fault injection asks for several, each after a delay). */
interface DeliveryCopy {
  copy: number;
  delayMs: number;
}

interface DeliveryOptions {
  /**
   * The copies to make, drawn only once the delivery is authorized (so a refused one draws nothing from fault
   * injection's seeded RNG); one undelayed copy by default.
   */
  copies?: () => DeliveryCopy[];
  /**
   * Each copy's outcome, or one refusal (with the first copy) when the target is not deliverable or the
   * principal may not deliver. A Lambda copy is reported before the call returns.
   */
  report(outcome: DeliveryOutcome, copy: DeliveryCopy): void;
}

const single = (): DeliveryCopy[] => [{ copy: 1, delayMs: 0 }];

export class Deliveries {
  readonly #targets: () => DeliveryTargets;

  /** `targets` is read per delivery, so a service can deliver to itself (Lambda to another function). */
  constructor(targets: () => DeliveryTargets) {
    this.#targets = targets;
  }

  /** The carrier for a target ARN, or why there is none. */
  #carrier(
    arn: string,
  ):
    | { ok: true; service: DeliveryService; carrier: Carrier }
    | { ok: false; service: string | undefined; reason: string } {
    const target = deliveryTarget(arn);
    if (!target.ok) return target;
    const targets = this.#targets();
    const carrier =
      target.service === "sqs"
        ? targets.sqs && sqsCarrier(targets.sqs)
        : targets.lambda && lambdaCarrier(targets.lambda);
    return carrier
      ? { ok: true, service: target.service, carrier }
      : { ok: false, service: target.service, reason: `the engine runs no ${target.service} service` };
  }

  /** The configuration-time check: the target exists and `principal` may deliver to it. */
  check(arn: string, principal: CallingPrincipal): DeliveryCheck {
    const found = this.#carrier(arn);
    if (!found.ok) return { ok: false, reason: found.reason, missing: false };
    return found.carrier.check(arn, principal);
  }

  /** Delivers `message` to `arn` as `principal`: one permission check, then each copy. */
  deliver(
    arn: string,
    principal: CallingPrincipal,
    message: DeliveryMessage,
    options: DeliveryOptions,
  ): void {
    const found = this.#carrier(arn);
    const first = { copy: 1, delayMs: 0 };
    if (!found.ok) {
      options.report({ ok: false, reason: found.reason }, first);
      return;
    }
    const grant = found.carrier.authorize(arn, principal);
    if (!grant.ok) {
      options.report(grant, first);
      return;
    }
    for (const copy of (options.copies ?? single)()) {
      const carried = grant.carry(message, copy.delayMs);
      if (!(carried instanceof Promise)) {
        options.report(carried, copy);
        continue;
      }
      carried.then(
        (outcome) => options.report(outcome, copy),
        (error: unknown) => options.report({ ok: false, reason: String(error) }, copy),
      );
    }
  }
}
