import type { CallingPrincipal } from "../types.ts";

type QueueSendResult = { ok: true; messageId: string } | { ok: false; code: string; message: string };

/** A message attribute as SQS's API carries it (Lambda's dead-letter messages carry `RequestID`, `ErrorCode`, `ErrorMessage`). */
export interface QueueMessageAttribute {
  DataType: "String" | "Number";
  StringValue: string;
}

interface QueueSendOptions {
  messageAttributes?: Record<string, QueueMessageAttribute>;
}

/** The answer to "may this sender send to this queue?", asked once per delivery; `send` does not ask again. */
type SendGrant =
  | { ok: true; send(body: string, options?: QueueSendOptions): Promise<QueueSendResult> }
  | { ok: false; code: string; message: string };

/**
 * What other services (Lambda's on-failure destinations and dead-letter queues, S3's queue notifier) may ask of
 * SQS in-process. Sending is authorized as every request is (policy/authorize.ts): a role's identity policies
 * for `sqs:SendMessage` on the queue with the queue's policy, or, for a service principal, the queue's policy
 * alone with `aws:SourceArn`/`aws:SourceAccount`.
 */
export interface QueueSender {
  /** Whether the queue exists and `sender` may send to it (S3 checks its destinations when they are configured). */
  canSend(queueArn: string, sender: CallingPrincipal): { ok: true } | { ok: false; reason: string };
  /** Checks once that the queue exists and `sender` may send to it; the grant's `send` sends without asking again. */
  authorizeSend(queueArn: string, sender: CallingPrincipal): SendGrant;
  sendMessage(
    queueArn: string,
    body: string,
    sender: CallingPrincipal,
    options?: QueueSendOptions,
  ): Promise<QueueSendResult>;
}
