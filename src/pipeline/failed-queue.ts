import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { AwsClients } from "../aws/clients.ts";
import { stripETagQuotes } from "../function/record.ts";
import { onFailureQueueUrl } from "../stack/on-failure-queue.ts";
import type { Stack } from "../stack/spec.ts";
import {
  type FailedEvent,
  type FailedEventMessage,
  type FailedObject,
  isSelected,
  parseFailedEventMessage,
  type RedriveSelection,
} from "./failed-events.ts";
import { invokeSynchronously } from "./invoke.ts";
import { recordsForKey, waitForRecord } from "./records.ts";

/**
 * The on-failure queue as `pipeline failed` and the dashboard use it, the same on every target: list the failed
 * events without consuming them, and re-drive them, deleting a message only once the event's records exist.
 */

/** The stack has no on-failure queue on this target. */
export class OnFailureQueueMissingError extends Error {
  constructor(queueName: string) {
    super(`the on-failure queue ${queueName} does not exist on this target: run 'pipeline up'`);
    this.name = "OnFailureQueueMissingError";
  }
}

/** Listing reads at most this many messages (SQS has no "list"; each one is received and let go). */
const MAX_LISTED = 1000;
/** Seconds a listed message stays hidden if the lister dies before letting it go. */
const PEEK_VISIBILITY_SECONDS = 15;

interface Received {
  message: FailedEventMessage;
  receiptHandle: string;
}

/** What to do with a received message: delete it (done), or let it go (visible again at the end). */
type Verdict = "delete" | "release";

/**
 * Receives the queue's messages batch by batch, each once (by message ID), hands each to `visit` in turn, and at
 * the end makes every message not deleted visible again at once. Stops when a receive brings nothing (SQS long
 * polling asks every server, so an empty answer after a second means the rest are hidden by another reader), or
 * only messages already visited three times in a row (a long run outlived their visibility timeout).
 */
async function visitQueue(
  clients: Pick<AwsClients, "sqs">,
  queueUrl: string,
  options: { visibilitySeconds: number; batch: number; max: number },
  visit: (received: Received) => Promise<Verdict>,
): Promise<void> {
  const held = new Map<string, string>();
  const seen = new Set<string>();
  let staleReceives = 0;
  try {
    while (seen.size < options.max && staleReceives < 3) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: options.batch,
          VisibilityTimeout: options.visibilitySeconds,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["SentTimestamp"],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId && m.ReceiptHandle && !seen.has(m.MessageId));
      for (const m of Messages) if (m.MessageId && m.ReceiptHandle) held.set(m.MessageId, m.ReceiptHandle);
      if (Messages.length === 0) break;
      staleReceives = fresh.length === 0 ? staleReceives + 1 : 0;
      for (const m of fresh) {
        const id = m.MessageId as string;
        seen.add(id);
        const verdict = await visit({ message: readMessage(m), receiptHandle: m.ReceiptHandle as string });
        if (verdict === "delete") held.delete(id);
      }
    }
  } finally {
    await release(clients, queueUrl, [...held.values()]);
  }
}

function readMessage(m: Message): FailedEventMessage {
  const sent = Number(m.Attributes?.SentTimestamp);
  return parseFailedEventMessage({
    id: m.MessageId as string,
    body: m.Body ?? "",
    ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
  });
}

/** Makes received messages visible again now (best effort: they reappear after their timeout anyway). */
async function release(
  clients: Pick<AwsClients, "sqs">,
  queueUrl: string,
  receiptHandles: string[],
): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const entries = receiptHandles
      .slice(i, i + 10)
      .map((handle, n) => ({ Id: String(n), ReceiptHandle: handle, VisibilityTimeout: 0 }));
    try {
      await clients.sqs.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
      );
    } catch {
      // The visibility timeout lets them go a few seconds later.
    }
  }
}

async function requireQueueUrl(clients: Pick<AwsClients, "sqs">, stack: Stack): Promise<string> {
  const url = await onFailureQueueUrl(clients, stack);
  if (!url) throw new OnFailureQueueMissingError(stack.onFailureQueue.name);
  return url;
}

/**
 * The failed events in the stack's on-failure queue, newest failure first; nothing is consumed. With `exactCounts`
 * (an emulator: LocalStack's SQS counts its own in-memory queue, models.py, and so does the engine's), a queue whose
 * counts are all 0 answers at once instead of after a 1 s long poll; AWS's counts for a standard queue are
 * approximate (SQS Developer Guide, "Resources required to process messages"), so there the receive always runs.
 */
export async function listFailedEvents(
  clients: Pick<AwsClients, "sqs">,
  stack: Stack,
  options: { exactCounts?: boolean } = {},
): Promise<FailedEvent[]> {
  const url = await requireQueueUrl(clients, stack);
  if (options.exactCounts && (await queuedMessages(clients, url, { delayed: true })) === 0) return [];
  const events: FailedEvent[] = [];
  await visitQueue(
    clients,
    url,
    { visibilitySeconds: PEEK_VISIBILITY_SECONDS, batch: 10, max: MAX_LISTED },
    async ({ message }) => {
      events.push(message.event);
      return "release";
    },
  );
  return events.sort((a, b) => b.failedAt.localeCompare(a.failedAt));
}

/** ApproximateNumberOfMessages + NotVisible (+ Delayed): what a queue holds, as its attributes count it. */
async function queuedMessages(
  clients: Pick<AwsClients, "sqs">,
  url: string,
  options: { delayed: boolean },
): Promise<number> {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        ...(options.delayed ? (["ApproximateNumberOfMessagesDelayed"] as const) : []),
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** ApproximateNumberOfMessages + NotVisible: a cheap change signal for a dashboard that polls. */
export async function failedEventCount(
  clients: Pick<AwsClients, "sqs">,
  stack: Stack,
): Promise<number | undefined> {
  const url = await onFailureQueueUrl(clients, stack);
  if (!url) return undefined;
  return queuedMessages(clients, url, { delayed: false });
}

/** What happened to one selected event. */
export interface RedriveOutcome {
  event: FailedEvent;
  /** The message was deleted: the function ran and every record the event names exists. */
  ok: boolean;
  /** The re-drive's request ID (its log lines carry it). */
  requestId?: string;
  /** Why the message was kept. */
  error?: string;
}

/** Whether the record of each object exists (by key and ETag; by key alone for hand-made events without one). */
async function missingRecords(
  clients: Pick<AwsClients, "documents">,
  stack: Stack,
  objects: FailedObject[],
  timeoutMs: number,
): Promise<string[]> {
  const missing: string[] = [];
  for (const object of objects) {
    if (object.bucket !== stack.bucket) continue;
    const found = object.eTag
      ? await waitForRecord(clients, stack, object.key, stripETagQuotes(object.eTag), { timeoutMs })
      : (await recordsForKey(clients, stack, object.key)).length > 0;
    if (!found) missing.push(object.key);
  }
  return missing;
}

/**
 * Re-drives the selected failed events: invokes the function synchronously with each original payload, then
 * deletes the message only once the function succeeded and the DynamoDB record of every object the event names
 * exists; otherwise the message stays (visible again at the end) and the outcome says why. Events are re-driven
 * one at a time, each hidden from other readers while it runs.
 */
export async function redriveFailedEvents(
  clients: Pick<AwsClients, "sqs" | "lambda" | "documents">,
  stack: Stack,
  selection: RedriveSelection,
  options: { recordTimeoutMs?: number; onOutcome?: (outcome: RedriveOutcome) => void } = {},
): Promise<RedriveOutcome[]> {
  const url = await requireQueueUrl(clients, stack);
  const outcomes: RedriveOutcome[] = [];
  const recordTimeoutMs = options.recordTimeoutMs ?? 10_000;
  // Long enough for one invocation (the function's timeout) and the record check.
  const visibilitySeconds = stack.timeoutSeconds + Math.ceil(recordTimeoutMs / 1000) + 30;
  await visitQueue(
    clients,
    url,
    { visibilitySeconds, batch: 1, max: Number.POSITIVE_INFINITY },
    async (received) => {
      const { event } = received.message;
      if (!isSelected(event, selection)) return "release";
      const outcome = await redriveOne(clients, stack, received, recordTimeoutMs, url);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
      return outcome.ok ? "delete" : "release";
    },
  );
  return outcomes;
}

async function redriveOne(
  clients: Pick<AwsClients, "sqs" | "lambda" | "documents">,
  stack: Stack,
  received: Received,
  recordTimeoutMs: number,
  queueUrl: string,
): Promise<RedriveOutcome> {
  const { event, payload } = received.message;
  if (payload === undefined)
    return { event, ok: false, error: "not an invocation record: nothing to re-drive" };
  if (event.functionName && event.functionName !== stack.functionName)
    return {
      event,
      ok: false,
      error: `the event is for function ${event.functionName}, not ${stack.functionName}`,
    };
  const result = await invokeSynchronously(clients, stack, payload);
  const id = result.requestId ? { requestId: result.requestId } : {};
  if (!result.ok) return { event, ok: false, ...id, error: `the function failed again: ${result.error}` };
  const missing = await missingRecords(clients, stack, event.objects, recordTimeoutMs);
  if (missing.length > 0)
    return {
      event,
      ok: false,
      ...id,
      error: `the function ran but wrote no record for ${missing.join(", ")}`,
    };
  await clients.sqs.send(
    new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.receiptHandle }),
  );
  return { event, ok: true, ...id };
}
