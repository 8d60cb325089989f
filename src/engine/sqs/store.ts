import type { DurableStore } from "../store/index.ts";
import type { Journal } from "../store/journal.ts";
import { SqsError, sqsErrors } from "./errors.ts";
import { fifoSend, groupsInFlight } from "./fifo.ts";
import { replayJournal, type SqsJournalEntry } from "./journal.ts";
import { LongPollWaiters } from "./long-poll-waiters.ts";
import {
  hasInvalidCharacters,
  type MessageAttributes,
  md5OfBody,
  md5OfMessageAttributes,
  messageAttributesSize,
  validateMessageAttributes,
} from "./message-attributes.ts";
import {
  decodeReceiptHandle,
  newMessageId,
  Queue,
  type ReceivedMessage,
  type SentAnswer,
  type StoredMessage,
} from "./queue.ts";
import {
  checkQueueName,
  checkRange,
  checkReceiveInput,
  DEDUPLICATION_WINDOW_MS,
  defaultFifoAttributes,
  defaultQueueAttributes,
  MAX_BODY_BYTES,
  numericAttributes,
  validateQueueAttributes,
} from "./queue-attributes.ts";

/** What the store may hold at most: the engine's own bounds (AWS has no such limits), so memory stays bounded. */
export interface SqsLimits {
  /** Bytes of bodies and attributes across all queues. */
  maxStoredBytes: number;
  /** Messages across all queues. */
  maxMessages: number;
  maxQueues: number;
  /** Long polls waiting at once; more are answered at once, as a short poll. */
  maxWaiters: number;
}

const defaultSqsLimits: SqsLimits = {
  maxStoredBytes: 128 * 1024 * 1024,
  maxMessages: 200_000,
  maxQueues: 1_000,
  maxWaiters: 1_000,
};

export interface SqsStoreOptions {
  accountId: string;
  region: string;
  /** The queue ARN for a name (src/engine/arn.ts). */
  queueArn(name: string): string;
  limits?: Partial<SqsLimits>;
  /** Epoch ms; tests pass a fake clock. */
  now?: () => number;
  /** Parses a queue Policy document; false when invalid. */
  checkPolicy?: (text: string) => boolean;
}

export interface SendInput {
  body: string | undefined;
  attributes?: MessageAttributes;
  delaySeconds?: number;
  senderId: string;
  /** FIFO queues: required. */
  messageGroupId?: string;
  /** FIFO queues: required unless the queue has ContentBasedDeduplication. */
  messageDeduplicationId?: string;
}

export type SentMessage = SentAnswer;

export interface ReceiveInput {
  maxNumberOfMessages?: number;
  visibilityTimeout?: number;
  /** Seconds; undefined means the queue's ReceiveMessageWaitTimeSeconds. */
  waitTimeSeconds?: number;
}

/**
 * Every standard queue of the engine and the rules SQS applies to them: sending (limits, delays, checksums),
 * receiving (visibility timeouts, retention, redrive to a dead-letter queue, long polls woken by sends and
 * released on close), deleting and changing visibility by receipt handle, purging. With a durable store
 * (`SqsStore.open`), every change is appended to its journal as it is made; the dispatcher answers once it is
 * durable.
 */
export class SqsStore {
  readonly #queues = new Map<string, Queue>();
  readonly #waiters = new LongPollWaiters();
  readonly #options: SqsStoreOptions;
  readonly #limits: SqsLimits;
  readonly #now: () => number;
  #storedBytes = 0;
  #storedMessages = 0;
  #closed = false;
  #journal: Journal<SqsJournalEntry> | undefined;

  constructor(options: SqsStoreOptions) {
    this.#options = options;
    this.#limits = { ...defaultSqsLimits, ...options.limits };
    this.#now = options.now ?? Date.now;
  }

  /** A store whose state is restored from, and kept in, the durable store's SQS journal (in memory without one). */
  static async open(options: SqsStoreOptions, durable: DurableStore | undefined): Promise<SqsStore> {
    const store = new SqsStore(options);
    const live = () => [...store.#snapshot()];
    const replay = (records: SqsJournalEntry[]) => {
      store.#adopt(replayJournal(records));
      return live();
    };
    store.#journal = await durable?.open<SqsJournalEntry>("sqs", replay, { live });
    return store;
  }

  get accountId(): string {
    return this.#options.accountId;
  }

  now(): number {
    return this.#now();
  }

  // Queues

  /**
   * Creates a queue, or returns the existing one when every given attribute matches it (AWS's QueueNameExists
   * otherwise).
   */
  createQueue(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): { queue: Queue; created: boolean } {
    const fifo = String(attributes.FifoQueue ?? "").toLowerCase() === "true";
    checkQueueName(name, fifo);
    const normalised = this.#validateAttributes(attributes, fifo);
    const defaults = { ...defaultQueueAttributes(), ...(fifo ? defaultFifoAttributes() : {}) };
    const existing = this.#queues.get(name);
    if (existing) {
      const current = { ...defaults, ...existing.record.attributes };
      for (const [key, value] of Object.entries(normalised)) {
        if ((current[key] ?? "") !== value) throw sqsErrors.queueNameExists(key);
      }
      return { queue: existing, created: false };
    }
    if (this.#queues.size >= this.#limits.maxQueues)
      throw sqsErrors.overLimit(`The embedded engine holds at most ${this.#limits.maxQueues} queues.`);
    const seconds = Math.floor(this.#now() / 1000);
    const queue = new Queue({
      name,
      arn: this.#options.queueArn(name),
      attributes: { ...defaults, ...normalised },
      createdTimestamp: seconds,
      lastModifiedTimestamp: seconds,
      tags: { ...tags },
    });
    this.#queues.set(name, queue);
    this.#record({ t: "queue", record: queue.record });
    return { queue, created: true };
  }

  queue(name: string): Queue | undefined {
    return this.#queues.get(name);
  }

  /** The queue, or AWS's QueueDoesNotExist. */
  requireQueue(name: string): Queue {
    const queue = this.#queues.get(name);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    return queue;
  }

  queueByArn(arn: string): Queue | undefined {
    const name = arn.split(":").pop() ?? "";
    const queue = this.#queues.get(name);
    return queue?.arn === arn ? queue : undefined;
  }

  /** Queue names in name order, optionally only those starting with `prefix`. */
  listQueueNames(prefix = ""): string[] {
    return [...this.#queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  deleteQueue(name: string): void {
    const queue = this.requireQueue(name);
    for (const message of queue.messages.values()) this.#forget(message);
    this.#queues.delete(name);
    this.#record({ t: "deleteQueue", name });
    this.#waiters.wake(name);
  }

  setAttributes(queue: Queue, attributes: Record<string, string>): void {
    const normalised = this.#validateAttributes(attributes, queue.fifo);
    for (const [key, value] of Object.entries(normalised)) {
      // An empty RedrivePolicy or Policy removes it, as on AWS.
      if (value === "" && (key === "RedrivePolicy" || key === "Policy" || key === "RedriveAllowPolicy"))
        delete queue.record.attributes[key];
      else queue.record.attributes[key] = value;
    }
    queue.record.lastModifiedTimestamp = Math.floor(this.#now() / 1000);
    this.#record({ t: "queue", record: queue.record });
    // A shorter ReceiveMessageWaitTimeSeconds or a new redrive policy changes what waiters see.
    this.#waiters.wake(queue.name);
  }

  /** The queue's attributes as GetQueueAttributes returns them (settable and computed). */
  attributesOf(queue: Queue): Record<string, string> {
    const counts = queue.counts(this.#now());
    return {
      ...queue.record.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(queue.record.createdTimestamp),
      LastModifiedTimestamp: String(queue.record.lastModifiedTimestamp),
    };
  }

  tagQueue(queue: Queue, tags: Record<string, string>): void {
    Object.assign(queue.record.tags, tags);
    this.#record({ t: "queue", record: queue.record });
  }

  untagQueue(queue: Queue, keys: readonly string[]): void {
    for (const key of keys) delete queue.record.tags[key];
    this.#record({ t: "queue", record: queue.record });
  }

  // Messages

  /** Checks and enqueues one message (SendMessage, SendMessageBatch's entries, other services' sends). */
  send(queue: Queue, input: SendInput): SentMessage {
    // A delivery scheduled before the engine stopped (a delayed S3 event copy) finds the store closed.
    if (this.#closed)
      throw new SqsError("ServiceUnavailable", "ServiceUnavailable", 503, "The engine is stopping.");
    const body = input.body;
    if (body === undefined || body === "") throw sqsErrors.missingParameter("MessageBody");
    if (hasInvalidCharacters(body)) throw sqsErrors.invalidMessageContents();
    const attributes = input.attributes ?? {};
    validateMessageAttributes(attributes);
    const size = Buffer.byteLength(body) + messageAttributesSize(attributes);
    const maximum = Math.min(queue.numeric("MaximumMessageSize"), MAX_BODY_BYTES);
    if (size > maximum) {
      throw sqsErrors.invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maximum} bytes.`,
      );
    }
    const fifo = queue.fifo ? fifoSend(queue, input, body) : undefined;
    const delay = input.delaySeconds ?? queue.numeric("DelaySeconds");
    const delayRange = numericAttributes.DelaySeconds as { min: number; max: number };
    if (!Number.isInteger(delay) || delay < delayRange.min || delay > delayRange.max) {
      throw sqsErrors.invalidParameterValue(
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
      );
    }
    const now = this.#now();
    const earlier = fifo && queue.deduplicated(fifo.key, now);
    if (earlier) {
      // The first send's id and sequence number; the digests are this request's, which the SDK checks.
      const md5 = md5OfMessageAttributes(attributes);
      const { md5OfMessageAttributes: _, ...rest } = earlier;
      return { ...rest, md5OfMessageBody: md5OfBody(body), ...(md5 ? { md5OfMessageAttributes: md5 } : {}) };
    }
    this.#reserve(size);
    const md5OfAttributes = md5OfMessageAttributes(attributes);
    const message: StoredMessage = {
      messageId: newMessageId(),
      body,
      md5OfBody: md5OfBody(body),
      attributes,
      ...(md5OfAttributes ? { md5OfMessageAttributes: md5OfAttributes } : {}),
      sentTimestamp: now,
      senderId: input.senderId,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      size,
      ...(fifo
        ? {
            messageGroupId: fifo.messageGroupId,
            messageDeduplicationId: fifo.messageDeduplicationId,
            sequenceNumber: queue.nextSequenceNumber(now),
          }
        : input.messageGroupId
          ? { messageGroupId: input.messageGroupId }
          : {}),
    };
    this.#enqueue(queue, message);
    const answer: SentAnswer = {
      messageId: message.messageId,
      md5OfMessageBody: message.md5OfBody,
      ...(md5OfAttributes ? { md5OfMessageAttributes: md5OfAttributes } : {}),
      ...(message.sequenceNumber ? { sequenceNumber: message.sequenceNumber } : {}),
    };
    if (fifo) {
      const expiresAt = now + DEDUPLICATION_WINDOW_MS;
      queue.deduplication.set(fifo.key, { answer, expiresAt });
      this.#record({ t: "dedup", queue: queue.name, key: fifo.key, answer, expiresAt });
    }
    return answer;
  }

  /**
   * Receives up to `maxNumberOfMessages` visible messages now (a short poll). Expired messages are dropped, and a
   * message received more than the redrive policy's maxReceiveCount times goes to the dead-letter queue instead.
   */
  receive(queue: Queue, input: ReceiveInput = {}): ReceivedMessage[] {
    checkReceiveInput(input);
    const max = input.maxNumberOfMessages ?? 1;
    const visibility = input.visibilityTimeout ?? queue.numeric("VisibilityTimeout");
    const now = this.#now();
    const redrive = queue.redrivePolicy();
    const deadLetter = redrive ? this.queueByArn(redrive.deadLetterTargetArn) : undefined;
    const received: ReceivedMessage[] = [];
    // FIFO: a group with a message in flight waits, so each group is processed in order.
    const blocked = groupsInFlight(queue, now);
    for (const message of [...queue.messages.values()]) {
      if (received.length >= max) break;
      if (message.messageGroupId !== undefined && blocked.has(message.messageGroupId)) continue;
      if (queue.isExpired(message, now)) {
        this.#remove(queue, message);
        continue;
      }
      if (message.visibleAt > now) continue;
      if (redrive && deadLetter && deadLetter !== queue && message.receiveCount >= redrive.maxReceiveCount) {
        this.#moveToDeadLetter(queue, message, deadLetter, now);
        continue;
      }
      const receiptHandle = queue.markReceived(message, now, visibility);
      this.#recordUpdate(queue, message);
      received.push({ message, receiptHandle });
    }
    return received;
  }

  /**
   * ReceiveMessage with long polling: waits up to `waitTimeSeconds` (or the queue's default) for a message, woken
   * by sends and by messages becoming visible, and released empty when the store closes or the queue goes.
   */
  async receiveWaiting(queueName: string, input: ReceiveInput = {}): Promise<ReceivedMessage[]> {
    checkReceiveInput(input);
    const first = this.requireQueue(queueName);
    const waitSeconds = input.waitTimeSeconds ?? first.numeric("ReceiveMessageWaitTimeSeconds");
    const deadline = this.#now() + waitSeconds * 1000;
    let queue: Queue | undefined = first;
    while (queue) {
      const received = this.receive(queue, input);
      const now = this.#now();
      if (received.length > 0 || now >= deadline || this.#closed) return received;
      if (this.#waiters.size >= this.#limits.maxWaiters) return received;
      const wakeAt = Math.min(deadline, queue.nextVisibleAt(now) ?? deadline);
      await this.#waiters.wait(queue.name, Math.max(1, wakeAt - now));
      queue = this.#queues.get(queueName);
    }
    return [];
  }

  /**
   * DeleteMessage: a handle of this queue whose message is gone, or that an newer receive replaced, succeeds
   * without deleting anything, as on AWS; a handle that is not one is ReceiptHandleIsInvalid.
   */
  deleteMessage(queue: Queue, receiptHandle: string): void {
    const message = this.#messageFor(queue, receiptHandle);
    if (message) this.#remove(queue, message);
  }

  /** ChangeMessageVisibility: only for a message in flight under its latest receipt handle. */
  changeVisibility(queue: Queue, receiptHandle: string, visibilityTimeout: number): void {
    checkRange("VisibilityTimeout", visibilityTimeout, 0, 43_200);
    const message = this.#messageFor(queue, receiptHandle);
    const now = this.#now();
    if (!message || message.visibleAt <= now || message.receiveCount === 0)
      throw sqsErrors.messageNotInflight();
    message.visibleAt = now + visibilityTimeout * 1000;
    this.#recordUpdate(queue, message);
    this.#waiters.wake(queue.name);
  }

  /** PurgeQueue: every message goes; at most one purge per queue every 60 seconds. */
  purge(queue: Queue): void {
    const now = this.#now();
    if (queue.record.lastPurgeAt !== undefined && now - queue.record.lastPurgeAt < 60_000)
      throw sqsErrors.purgeQueueInProgress(queue.name);
    for (const message of queue.messages.values()) this.#forget(message);
    queue.messages.clear();
    queue.record.lastPurgeAt = now;
    this.#record({ t: "purge", queue: queue.name });
    this.#record({ t: "queue", record: queue.record });
  }

  /** Releases every waiting long poll (they answer with no messages); the durable store closes the journal. */
  close(): void {
    this.#closed = true;
    this.#waiters.wakeAll();
  }

  // Internals

  #validateAttributes(attributes: Record<string, string>, fifo: boolean): Record<string, string> {
    return validateQueueAttributes(attributes, {
      checkPolicy: this.#options.checkPolicy ?? (() => true),
      deadLetter: (arn) => {
        const target = this.queueByArn(arn);
        return target ? { fifo: target.fifo } : undefined;
      },
      fifo,
    });
  }

  #messageFor(queue: Queue, receiptHandle: string): StoredMessage | undefined {
    const decoded = decodeReceiptHandle(receiptHandle);
    if (!decoded || decoded.queueName !== queue.name) throw sqsErrors.receiptHandleIsInvalid(receiptHandle);
    const message = queue.messages.get(decoded.messageId);
    return message && message.receipt === decoded.nonce ? message : undefined;
  }

  #reserve(size: number): void {
    if (
      this.#storedMessages + 1 > this.#limits.maxMessages ||
      this.#storedBytes + size > this.#limits.maxStoredBytes
    ) {
      throw sqsErrors.overLimit(
        `The embedded engine holds at most ${this.#limits.maxMessages} messages and ${this.#limits.maxStoredBytes} bytes of messages across its queues; delete or purge messages first.`,
      );
    }
  }

  #enqueue(queue: Queue, message: StoredMessage): void {
    queue.messages.set(message.messageId, message);
    this.#storedBytes += message.size;
    this.#storedMessages++;
    this.#record({ t: "send", queue: queue.name, message });
    this.#waiters.wake(queue.name);
  }

  #forget(message: StoredMessage): void {
    this.#storedBytes -= message.size;
    this.#storedMessages--;
  }

  #remove(queue: Queue, message: StoredMessage): void {
    if (!queue.messages.delete(message.messageId)) return;
    this.#forget(message);
    this.#record({ t: "delete", queue: queue.name, id: message.messageId });
  }

  #moveToDeadLetter(source: Queue, message: StoredMessage, target: Queue, now: number): void {
    this.#remove(source, message);
    const moved: StoredMessage = {
      ...message,
      receiveCount: 0,
      visibleAt: now,
      deadLetterQueueSourceArn: source.arn,
    };
    delete moved.receipt;
    delete moved.firstReceiveTimestamp;
    this.#enqueue(target, moved);
  }

  #recordUpdate(queue: Queue, message: StoredMessage): void {
    this.#record({
      t: "update",
      queue: queue.name,
      id: message.messageId,
      visibleAt: message.visibleAt,
      receiveCount: message.receiveCount,
      ...(message.firstReceiveTimestamp === undefined
        ? {}
        : { firstReceiveTimestamp: message.firstReceiveTimestamp }),
      ...(message.receipt === undefined ? {} : { receipt: message.receipt }),
    });
  }

  #record(entry: SqsJournalEntry): void {
    // A failed write poisons the journal, and the dispatcher's wait for durability answers the error.
    this.#journal?.append(entry).catch(() => undefined);
  }

  *#snapshot(): Generator<SqsJournalEntry> {
    for (const queue of this.#queues.values()) {
      yield { t: "queue", record: queue.record };
      for (const message of queue.messages.values()) yield { t: "send", queue: queue.name, message };
      for (const [key, { answer, expiresAt }] of queue.deduplication)
        yield { t: "dedup", queue: queue.name, key, answer, expiresAt };
    }
  }

  #adopt(queues: Map<string, Queue>): void {
    for (const queue of queues.values()) {
      this.#queues.set(queue.name, queue);
      for (const message of queue.messages.values()) {
        this.#storedBytes += message.size;
        this.#storedMessages++;
      }
    }
  }
}
