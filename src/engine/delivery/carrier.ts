import type { QueueMessageAttribute } from "../sqs/contract.ts";
import type { CallingPrincipal } from "../types.ts";

/** What is delivered: a body, and message attributes where the target takes them (SQS). */
export interface DeliveryMessage {
  body: string;
  attributes?: Record<string, QueueMessageAttribute>;
}

/** One delivered copy: the queue's message ID, or the request ID of the queued invocation. */
type Delivered =
  | { ok: true; service: "sqs"; messageId: string }
  | { ok: true; service: "lambda"; functionName: string; requestId: string };

type DeliveryFailure = { ok: false; reason: string };

export type DeliveryOutcome = Delivered | DeliveryFailure;

/** A configuration-time check: `missing` when the target does not exist (S3 words that apart). */
export type DeliveryCheck = { ok: true } | { ok: false; reason: string; missing: boolean };

/**
 * How the engine delivers to one target service, written once per service: `check` for configuration time,
 * `authorize` once per delivery (the one permission check), and the grant's `carry` per copy, which does not
 * ask again. A Lambda copy is queued synchronously (its outcome is known before the invocation's own activity);
 * an SQS copy is sent after its delay.
 */
export interface Carrier {
  check(arn: string, principal: CallingPrincipal): DeliveryCheck;
  authorize(
    arn: string,
    principal: CallingPrincipal,
  ):
    | {
        ok: true;
        carry(message: DeliveryMessage, delayMs: number): DeliveryOutcome | Promise<DeliveryOutcome>;
      }
    | DeliveryFailure;
}
