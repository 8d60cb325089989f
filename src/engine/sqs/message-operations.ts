import * as z from "zod";
import { type AnyOperation, operation } from "../service/index.ts";
import { SqsError, sqsErrors } from "./errors.ts";
import { batchEntries, integer, messageAttributes, parseEntry, stringList, text } from "./inputs.ts";
import { md5OfMessageAttributes, selectMessageAttributes } from "./message-attributes.ts";
import type { SqsOperationDependencies } from "./operations.ts";
import type { ReceivedMessage } from "./queue.ts";
import { MAX_BODY_BYTES } from "./queue-attributes.ts";
import type { SendInput, SqsStore } from "./store.ts";

/**
 * SQS's message operations (send, receive, delete, change visibility, and their batches) in the JSON protocol's
 * shapes, each needing `sqs:<Op>` on the queue its QueueUrl names; a batch needs its single counterpart's
 * action, as on AWS.
 */

type JsonObject = Record<string, unknown>;

/** What a send takes, a SendMessage's members as a SendMessageBatch entry's. */
const sendMembers = {
  MessageBody: text.optional(),
  DelaySeconds: integer.optional(),
  MessageAttributes: messageAttributes.optional(),
  MessageDeduplicationId: text.optional(),
  MessageGroupId: text.optional(),
};
type SendMembers = z.output<z.ZodObject<typeof sendMembers>>;

const sendEntry = z.object({ Id: z.unknown(), ...sendMembers });
const deleteEntry = z.object({ Id: z.unknown(), ReceiptHandle: text });
const visibilityEntry = z.object({ Id: z.unknown(), VisibilityTimeout: integer, ReceiptHandle: text });

/** A send's store input from its members. */
function sendInput(members: SendMembers, senderId: string): SendInput {
  const { MessageBody, DelaySeconds, MessageAttributes, MessageGroupId, MessageDeduplicationId } = members;
  return {
    body: MessageBody,
    attributes: MessageAttributes ?? {},
    ...(DelaySeconds === undefined ? {} : { delaySeconds: DelaySeconds }),
    ...(MessageGroupId === undefined ? {} : { messageGroupId: MessageGroupId }),
    ...(MessageDeduplicationId === undefined ? {} : { messageDeduplicationId: MessageDeduplicationId }),
    senderId,
  };
}

const sentOutput = (sent: ReturnType<SqsStore["send"]>): JsonObject => ({
  MessageId: sent.messageId,
  MD5OfMessageBody: sent.md5OfMessageBody,
  ...(sent.md5OfMessageAttributes ? { MD5OfMessageAttributes: sent.md5OfMessageAttributes } : {}),
  ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
});

interface BatchEntry {
  Id: string;
  [member: string]: unknown;
}

/** A batch's entries, checked as AWS does before any entry runs. */
function checkedEntries(value: unknown[] | undefined, entryName: string): BatchEntry[] {
  const entries = (value ?? []) as BatchEntry[];
  if (entries.length === 0) throw sqsErrors.emptyBatchRequest(entryName);
  if (entries.length > 10) throw sqsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = typeof entry?.Id === "string" ? entry.Id : "";
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return entries;
}

/** Runs each entry; an entry's SqsError becomes its `Failed` record, as AWS reports them. */
function runBatch(entries: BatchEntry[], run: (entry: BatchEntry) => JsonObject): JsonObject {
  const successful: JsonObject[] = [];
  const failed: JsonObject[] = [];
  for (const entry of entries) {
    try {
      successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({
        Id: entry.Id,
        SenderFault: error.fault === "Sender",
        Code: error.code,
        Message: error.message,
      });
    }
  }
  return { Successful: successful, Failed: failed };
}

/** System attribute names ReceiveMessage accepts; `All` asks for every one the message has. */
const systemAttributeNames = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "DeadLetterQueueSourceArn",
  "MessageGroupId",
  "MessageDeduplicationId",
  "SequenceNumber",
];

function renderReceived(
  received: ReceivedMessage,
  systemNames: string[],
  attributeNames: string[],
): JsonObject {
  const { message, receiptHandle } = received;
  const system: Record<string, string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp:
      message.firstReceiveTimestamp === undefined ? undefined : String(message.firstReceiveTimestamp),
    DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
    MessageGroupId: message.messageGroupId,
    MessageDeduplicationId: message.messageDeduplicationId,
    SequenceNumber: message.sequenceNumber,
  };
  const all = systemNames.includes("All");
  const attributes: Record<string, string> = {};
  for (const name of systemAttributeNames) {
    const value = system[name];
    if ((all || systemNames.includes(name)) && value !== undefined) attributes[name] = value;
  }
  const selected = selectMessageAttributes(message.attributes, attributeNames);
  const md5 = md5OfMessageAttributes(selected);
  return {
    MessageId: message.messageId,
    ReceiptHandle: receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(md5 ? { MD5OfMessageAttributes: md5, MessageAttributes: selected } : {}),
  };
}

/** The message operations, over the service's store. */
export function messageOperations({
  store,
  queueAt,
  onQueue,
  senderId,
}: SqsOperationDependencies): AnyOperation[] {
  return [
    operation({
      name: "SendMessage",
      input: z.object({ QueueUrl: text, ...sendMembers }),
      resource: onQueue,
      handler: (input, call) =>
        sentOutput(store.send(queueAt(input.QueueUrl), sendInput(input, senderId(call)))),
    }),
    operation({
      name: "SendMessageBatch",
      action: "sqs:SendMessage",
      input: z.object({ QueueUrl: text, Entries: batchEntries.optional() }),
      resource: onQueue,
      handler: (input, call) => {
        const queue = queueAt(input.QueueUrl);
        const entries = checkedEntries(input.Entries, "SendMessageBatchRequestEntry");
        let total = 0;
        for (const entry of entries) {
          total += Buffer.byteLength(typeof entry.MessageBody === "string" ? entry.MessageBody : "");
          total += Buffer.byteLength(JSON.stringify(entry.MessageAttributes ?? {})) - 2;
        }
        if (total > MAX_BODY_BYTES) throw sqsErrors.batchRequestTooLong(total, MAX_BODY_BYTES);
        const sender = senderId(call);
        return runBatch(entries, (entry) =>
          sentOutput(store.send(queue, sendInput(parseEntry(sendEntry, entry), sender))),
        );
      },
    }),
    operation({
      name: "ReceiveMessage",
      input: z.object({
        QueueUrl: text,
        AttributeNames: stringList.optional(),
        MessageSystemAttributeNames: stringList.optional(),
        MessageAttributeNames: stringList.optional(),
        MaxNumberOfMessages: integer.optional(),
        VisibilityTimeout: integer.optional(),
        WaitTimeSeconds: integer.optional(),
      }),
      resource: onQueue,
      handler: async (input) => {
        const queue = queueAt(input.QueueUrl);
        const { MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds } = input;
        const received = await store.receiveWaiting(queue.name, {
          ...(MaxNumberOfMessages === undefined ? {} : { maxNumberOfMessages: MaxNumberOfMessages }),
          ...(VisibilityTimeout === undefined ? {} : { visibilityTimeout: VisibilityTimeout }),
          ...(WaitTimeSeconds === undefined ? {} : { waitTimeSeconds: WaitTimeSeconds }),
        });
        const systemNames = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
        const attributeNames = input.MessageAttributeNames ?? [];
        return received.length === 0
          ? {}
          : { Messages: received.map((message) => renderReceived(message, systemNames, attributeNames)) };
      },
    }),
    operation({
      name: "DeleteMessage",
      input: z.object({ QueueUrl: text, ReceiptHandle: text }),
      resource: onQueue,
      handler: (input) => {
        store.deleteMessage(queueAt(input.QueueUrl), input.ReceiptHandle);
        return undefined;
      },
    }),
    operation({
      name: "DeleteMessageBatch",
      action: "sqs:DeleteMessage",
      input: z.object({ QueueUrl: text, Entries: batchEntries.optional() }),
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        return runBatch(checkedEntries(input.Entries, "DeleteMessageBatchRequestEntry"), (entry) => {
          store.deleteMessage(queue, parseEntry(deleteEntry, entry).ReceiptHandle);
          return {};
        });
      },
    }),
    operation({
      name: "ChangeMessageVisibility",
      input: z.object({ QueueUrl: text, VisibilityTimeout: integer, ReceiptHandle: text }),
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        store.changeVisibility(queue, input.ReceiptHandle, input.VisibilityTimeout);
        return undefined;
      },
    }),
    operation({
      name: "ChangeMessageVisibilityBatch",
      action: "sqs:ChangeMessageVisibility",
      input: z.object({ QueueUrl: text, Entries: batchEntries.optional() }),
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        return runBatch(
          checkedEntries(input.Entries, "ChangeMessageVisibilityBatchRequestEntry"),
          (entry) => {
            const { ReceiptHandle, VisibilityTimeout } = parseEntry(visibilityEntry, entry);
            store.changeVisibility(queue, ReceiptHandle, VisibilityTimeout);
            return {};
          },
        );
      },
    }),
  ];
}
