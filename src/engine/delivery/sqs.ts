import type { QueueSender } from "../sqs/contract.ts";
import type { Carrier, DeliveryMessage, DeliveryOutcome } from "./carrier.ts";

/** SQS's carrier: `QueueSender.authorizeSend` once, then one `SendMessage` per copy, each after its delay. */
export function sqsCarrier(queues: Pick<QueueSender, "canSend" | "authorizeSend">): Carrier {
  return {
    check(arn, principal) {
      const verdict = queues.canSend(arn, principal);
      return verdict.ok
        ? verdict
        : { ok: false, reason: verdict.reason, missing: verdict.reason.startsWith("queue does not exist") };
    },
    authorize(arn, principal) {
      const grant = queues.authorizeSend(arn, principal);
      if (!grant.ok) return { ok: false, reason: `${grant.code}: ${grant.message}` };
      const send = async (message: DeliveryMessage): Promise<DeliveryOutcome> => {
        const sent = await grant.send(
          message.body,
          message.attributes ? { messageAttributes: message.attributes } : undefined,
        );
        return sent.ok
          ? { ok: true, service: "sqs", messageId: sent.messageId }
          : { ok: false, reason: `${sent.code}: ${sent.message}` };
      };
      return {
        ok: true,
        carry(message, delayMs) {
          if (delayMs <= 0) return send(message);
          return new Promise((resolve) => {
            setTimeout(() => resolve(send(message)), delayMs).unref();
          });
        },
      };
    },
  };
}
