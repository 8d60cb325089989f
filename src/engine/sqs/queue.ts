import { randomBytes, randomUUID } from "node:crypto";
import type { MessageAttributes } from "./message-attributes.ts";
import { numericAttributes, parseRedrivePolicy, type RedrivePolicy } from "./queue-attributes.ts";

/** A queue's identity, settings and bookkeeping, without its messages (what the journal writes on change). */
export interface QueueRecord {
  name: string;
  arn: string;
  /** Settable attributes as stored (strings, as on the wire). */
  attributes: Record<string, string>;
  /** Epoch seconds, as SQS reports them. */
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  tags: Record<string, string>;
  /** Epoch ms of the last PurgeQueue (one per 60 s). */
  lastPurgeAt?: number;
}

/** One message as the queue holds it. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: MessageAttributes;
  md5OfMessageAttributes?: string;
  /** Epoch ms. */
  sentTimestamp: number;
  senderId: string;
  /** Epoch ms before which the message cannot be received (its delay, then its visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Nonce of the latest receipt handle: an older handle no longer changes the message. */
  receipt?: string;
  /** Set when the message was moved here from a source queue's redrive. */
  deadLetterQueueSourceArn?: string;
  /** FIFO queues: the group, the deduplication id and the sequence number. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  /** Body plus attributes, in bytes: what counts toward the store's memory bound. */
  size: number;
}

/** What SendMessage answers for one message. */
export interface SentAnswer {
  messageId: string;
  md5OfMessageBody: string;
  md5OfMessageAttributes?: string;
  sequenceNumber?: string;
}

/** A message as ReceiveMessage hands it out: the stored message and its new receipt handle. */
export interface ReceivedMessage {
  message: StoredMessage;
  receiptHandle: string;
}

/**
 * One standard queue: messages in arrival order with their visibility, counts and the receipt handles that
 * refer to them. The clock is passed in, so the rules are testable without waiting.
 */
export class Queue {
  readonly messages = new Map<string, StoredMessage>();
  /** FIFO queues: what each deduplication key (id, or group and id) was answered, for 5 minutes, oldest first. */
  readonly deduplication = new Map<string, { answer: SentAnswer; expiresAt: number }>();
  record: QueueRecord;
  #sequence = 0n;

  constructor(record: QueueRecord) {
    this.record = record;
  }

  get name(): string {
    return this.record.name;
  }

  get arn(): string {
    return this.record.arn;
  }

  get fifo(): boolean {
    return this.record.attributes.FifoQueue === "true";
  }

  /** A FIFO sequence number: increasing, also across restarts (it starts from the clock). */
  nextSequenceNumber(now: number): string {
    const fromClock = BigInt(now) * 1_000_000n;
    this.#sequence = this.#sequence >= fromClock ? this.#sequence + 1n : fromClock;
    return this.#sequence.toString().padStart(20, "0");
  }

  /** The answer an earlier send with this deduplication key got, while the 5-minute window lasts. */
  deduplicated(key: string, now: number): SentAnswer | undefined {
    for (const [candidate, entry] of this.deduplication) {
      if (entry.expiresAt > now) break;
      this.deduplication.delete(candidate);
    }
    return this.deduplication.get(key)?.answer;
  }

  /** A numeric attribute's value, or its default. */
  numeric(name: keyof typeof numericAttributes & string): number {
    const value = this.record.attributes[name];
    return value === undefined ? (numericAttributes[name]?.default ?? 0) : Number(value);
  }

  redrivePolicy(): RedrivePolicy | undefined {
    const text = this.record.attributes.RedrivePolicy;
    return text ? parseRedrivePolicy(text) : undefined;
  }

  isExpired(message: StoredMessage, now: number): boolean {
    return message.sentTimestamp + this.numeric("MessageRetentionPeriod") * 1000 <= now;
  }

  /** Visible, in flight (received, not yet visible again) and delayed (never received, delay running). */
  counts(now: number): { visible: number; notVisible: number; delayed: number } {
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (this.isExpired(message, now)) continue;
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }

  /** Epoch ms at which the next hidden message becomes visible, if any (long polls wake then). */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next))
        next = message.visibleAt;
    }
    return next;
  }

  /** Marks `message` received now and returns its new receipt handle. */
  markReceived(message: StoredMessage, now: number, visibilityTimeoutSeconds: number): string {
    message.receiveCount++;
    message.firstReceiveTimestamp ??= now;
    message.visibleAt = now + visibilityTimeoutSeconds * 1000;
    message.receipt = randomBytes(12).toString("base64url");
    return encodeReceiptHandle(this.name, message.messageId, message.receipt);
  }
}

/** A fresh message id (a UUID, as SQS's). */
export const newMessageId = (): string => randomUUID();

/**
 * Receipt handles name the queue, the message and the receive that produced them; opaque to clients (base64),
 * as AWS's are.
 */
function encodeReceiptHandle(queueName: string, messageId: string, nonce: string): string {
  return Buffer.from(`sqs1 ${queueName} ${messageId} ${nonce}`, "utf8").toString("base64");
}

/** The parts of a receipt handle this engine wrote; undefined for anything else. */
export function decodeReceiptHandle(
  handle: string,
): { queueName: string; messageId: string; nonce: string } | undefined {
  if (!/^[A-Za-z0-9+/=]{16,1024}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, "base64").toString("utf8").split(" ");
  if (parts.length !== 4 || parts[0] !== "sqs1") return undefined;
  const [, queueName = "", messageId = "", nonce = ""] = parts;
  return { queueName, messageId, nonce };
}
