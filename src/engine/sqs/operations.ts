import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import { SqsError, sqsErrors } from "./errors.ts";
import {
  type MessageAttributes,
  md5OfMessageAttributes,
  selectMessageAttributes,
} from "./message-attributes.ts";
import { type MessageMoveTasks, type MoveTask, sourceArnOfHandle } from "./message-move.ts";
import type { Queue, ReceivedMessage } from "./queue.ts";
import { computedAttributes, isKnownAttributeName, MAX_BODY_BYTES } from "./queue-attributes.ts";
import type { SqsStore } from "./store.ts";
import { mergeQueueTags } from "./tags.ts";

/**
 * SQS's operations over the JSON protocol's input and output shapes (the query protocol is translated to and
 * from them in query-protocol.ts): each declares the IAM action it needs and the queue it acts on, and its
 * handler calls the store, which holds the rules.
 */

export type JsonObject = Record<string, unknown>;

/** What a handler gets besides its input. */
interface OperationContext {
  store: SqsStore;
  /** The running and finished message movement tasks (dead-letter queue redrives). */
  moveTasks: MessageMoveTasks;
  /** `http://<host the request came to>/<account>/<name>` */
  queueUrl(name: string): string;
  /** The SenderId messages sent by this caller carry. */
  senderId: string;
}

/** One SQS operation before it becomes a declared one (sqs/index.ts adds the shape's resource and codecs). */
export interface SqsOperation {
  /** The IAM action checked (batch operations need their single counterpart's, as on AWS). */
  action: string;
  /** The queue the call acts on (its ARN is the IAM resource); undefined for account-wide calls. */
  queueName(input: JsonObject, accountId: string): string | undefined;
  run(input: JsonObject, context: OperationContext): JsonObject | Promise<JsonObject>;
}

// Input readers: a wrong type is AWS's InvalidParameterValue, a missing member its MissingParameter.

function optionalString(input: JsonObject, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    throw sqsErrors.invalidParameterValue(
      `Value for parameter ${name} is invalid. Reason: must be a string.`,
    );
  return value;
}

function requiredString(input: JsonObject, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined) throw sqsErrors.missingParameter(name);
  return value;
}

function optionalInteger(input: JsonObject, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(number))
    throw sqsErrors.invalidParameterValue(`Value ${String(value)} for parameter ${name} is invalid.`);
  return number;
}

function stringList(input: JsonObject, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
    throw sqsErrors.invalidParameterValue(
      `Value for parameter ${name} is invalid. Reason: must be a list of strings.`,
    );
  return value as string[];
}

function stringMap(input: JsonObject, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} is invalid. Reason: must be a map.`);
  return Object.fromEntries(Object.entries(value as JsonObject).map(([key, item]) => [key, String(item)]));
}

function messageAttributes(input: JsonObject): MessageAttributes {
  const value = input.MessageAttributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw sqsErrors.invalidParameterValue("Value for parameter MessageAttributes is invalid.");
  return value as MessageAttributes;
}

/**
 * The queue name in a QueueUrl: its last path segment, after this engine's account (any host, as LocalStack
 * accepts `sqs.<region>.localhost.localstack.cloud` and the like). Another account's queue does not exist here.
 */
export function queueNameFromUrl(url: string, accountId: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/\/+$/, "");
  const segments = path.split("/").filter((segment) => segment !== "");
  const name = segments.at(-1);
  const account = segments.at(-2);
  if (name === undefined || (account !== undefined && account !== accountId))
    throw sqsErrors.queueDoesNotExist();
  return decodeURIComponent(name);
}

const byUrl = (input: JsonObject, accountId: string) =>
  queueNameFromUrl(requiredString(input, "QueueUrl"), accountId);

/** The queue a request names, or QueueDoesNotExist. */
const queueOf = (input: JsonObject, context: OperationContext): Queue =>
  context.store.requireQueue(queueNameFromUrl(requiredString(input, "QueueUrl"), context.store.accountId));

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

interface BatchEntry {
  Id: string;
  [member: string]: unknown;
}

/** A batch's entries, checked as AWS does before any entry runs. */
function batchEntries(input: JsonObject, entryName: string): BatchEntry[] {
  const value = input.Entries;
  const entries = Array.isArray(value) ? (value as BatchEntry[]) : [];
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

const sentOutput = (sent: ReturnType<SqsStore["send"]>): JsonObject => ({
  MessageId: sent.messageId,
  MD5OfMessageBody: sent.md5OfMessageBody,
  ...(sent.md5OfMessageAttributes ? { MD5OfMessageAttributes: sent.md5OfMessageAttributes } : {}),
  ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
});

/** A send's FIFO members (MessageGroupId, MessageDeduplicationId), when given. */
function fifoMembers(input: JsonObject): { messageGroupId?: string; messageDeduplicationId?: string } {
  const messageGroupId = optionalString(input, "MessageGroupId");
  const messageDeduplicationId = optionalString(input, "MessageDeduplicationId");
  return {
    ...(messageGroupId === undefined ? {} : { messageGroupId }),
    ...(messageDeduplicationId === undefined ? {} : { messageDeduplicationId }),
  };
}

const sqs = (name: string) => `sqs:${name}`;

/** An operation on the queue its QueueUrl names, needing `sqs:<action>` on that queue. */
const onQueue = (action: string, run: SqsOperation["run"]): SqsOperation => ({
  action: sqs(action),
  queueName: byUrl,
  run,
});

/** SQS's operations by name. */
export const sqsOperations: Record<string, SqsOperation> = {
  CreateQueue: {
    action: sqs("CreateQueue"),
    queueName: (input) => requiredString(input, "QueueName"),
    run(input, { store, queueUrl }) {
      const name = requiredString(input, "QueueName");
      const tags = mergeQueueTags({}, stringMap(input, "tags"));
      const { queue } = store.createQueue(name, stringMap(input, "Attributes"), tags);
      return { QueueUrl: queueUrl(queue.name) };
    },
  },
  GetQueueUrl: {
    action: sqs("GetQueueUrl"),
    queueName: (input) => requiredString(input, "QueueName"),
    run(input, { store, queueUrl }) {
      const owner = optionalString(input, "QueueOwnerAWSAccountId");
      if (owner !== undefined && owner !== store.accountId) throw sqsErrors.queueDoesNotExist();
      return { QueueUrl: queueUrl(store.requireQueue(requiredString(input, "QueueName")).name) };
    },
  },
  GetQueueAttributes: onQueue("GetQueueAttributes", (input, context) => {
    const queue = queueOf(input, context);
    const names = stringList(input, "AttributeNames");
    for (const name of names) {
      if (!isKnownAttributeName(name)) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    }
    const all = context.store.attributesOf(queue);
    const wanted = names.includes("All") ? Object.keys(all) : names;
    const attributes = Object.fromEntries(
      wanted.filter((name) => all[name] !== undefined).map((name) => [name, all[name]]),
    );
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }),
  SetQueueAttributes: onQueue("SetQueueAttributes", (input, context) => {
    const attributes = stringMap(input, "Attributes");
    for (const name of Object.keys(attributes)) {
      if ((computedAttributes as readonly string[]).includes(name))
        throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    }
    context.store.setAttributes(queueOf(input, context), attributes);
    return {};
  }),
  SendMessage: onQueue("SendMessage", (input, context) => {
    const delaySeconds = optionalInteger(input, "DelaySeconds");
    const sent = context.store.send(queueOf(input, context), {
      body: optionalString(input, "MessageBody"),
      attributes: messageAttributes(input),
      ...(delaySeconds === undefined ? {} : { delaySeconds }),
      ...fifoMembers(input),
      senderId: context.senderId,
    });
    return sentOutput(sent);
  }),
  SendMessageBatch: onQueue("SendMessage", (input, context) => {
    const queue = queueOf(input, context);
    const entries = batchEntries(input, "SendMessageBatchRequestEntry");
    let total = 0;
    for (const entry of entries) {
      total += Buffer.byteLength(typeof entry.MessageBody === "string" ? entry.MessageBody : "");
      total += Buffer.byteLength(JSON.stringify(entry.MessageAttributes ?? {})) - 2;
    }
    if (total > MAX_BODY_BYTES) throw sqsErrors.batchRequestTooLong(total, MAX_BODY_BYTES);
    return runBatch(entries, (entry) => {
      const delaySeconds = optionalInteger(entry, "DelaySeconds");
      return sentOutput(
        context.store.send(queue, {
          body: optionalString(entry, "MessageBody"),
          attributes: messageAttributes(entry),
          ...(delaySeconds === undefined ? {} : { delaySeconds }),
          ...fifoMembers(entry),
          senderId: context.senderId,
        }),
      );
    });
  }),
  ReceiveMessage: onQueue("ReceiveMessage", async (input, context) => {
    const queue = queueOf(input, context);
    const maxNumberOfMessages = optionalInteger(input, "MaxNumberOfMessages");
    const visibilityTimeout = optionalInteger(input, "VisibilityTimeout");
    const waitTimeSeconds = optionalInteger(input, "WaitTimeSeconds");
    const received = await context.store.receiveWaiting(queue.name, {
      ...(maxNumberOfMessages === undefined ? {} : { maxNumberOfMessages }),
      ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
      ...(waitTimeSeconds === undefined ? {} : { waitTimeSeconds }),
    });
    const systemNames = [
      ...stringList(input, "AttributeNames"),
      ...stringList(input, "MessageSystemAttributeNames"),
    ];
    const attributeNames = stringList(input, "MessageAttributeNames");
    return received.length === 0
      ? {}
      : { Messages: received.map((message) => renderReceived(message, systemNames, attributeNames)) };
  }),
  DeleteMessage: onQueue("DeleteMessage", (input, context) => {
    context.store.deleteMessage(queueOf(input, context), requiredString(input, "ReceiptHandle"));
    return {};
  }),
  DeleteMessageBatch: onQueue("DeleteMessage", (input, context) => {
    const queue = queueOf(input, context);
    return runBatch(batchEntries(input, "DeleteMessageBatchRequestEntry"), (entry) => {
      context.store.deleteMessage(queue, requiredString(entry, "ReceiptHandle"));
      return {};
    });
  }),
  ChangeMessageVisibility: onQueue("ChangeMessageVisibility", (input, context) => {
    const timeout = optionalInteger(input, "VisibilityTimeout");
    if (timeout === undefined) throw sqsErrors.missingParameter("VisibilityTimeout");
    context.store.changeVisibility(queueOf(input, context), requiredString(input, "ReceiptHandle"), timeout);
    return {};
  }),
  ChangeMessageVisibilityBatch: onQueue("ChangeMessageVisibility", (input, context) => {
    const queue = queueOf(input, context);
    return runBatch(batchEntries(input, "ChangeMessageVisibilityBatchRequestEntry"), (entry) => {
      const timeout = optionalInteger(entry, "VisibilityTimeout");
      if (timeout === undefined) throw sqsErrors.missingParameter("VisibilityTimeout");
      context.store.changeVisibility(queue, requiredString(entry, "ReceiptHandle"), timeout);
      return {};
    });
  }),
  PurgeQueue: onQueue("PurgeQueue", (input, context) => {
    context.store.purge(queueOf(input, context));
    return {};
  }),
  DeleteQueue: onQueue("DeleteQueue", (input, context) => {
    context.store.deleteQueue(queueOf(input, context).name);
    return {};
  }),
  ListQueues: {
    action: sqs("ListQueues"),
    queueName: () => undefined,
    run(input, { store, queueUrl }) {
      const names = store.listQueueNames(optionalString(input, "QueueNamePrefix") ?? "");
      const maxResults = optionalInteger(input, "MaxResults");
      const token = optionalString(input, "NextToken");
      if (maxResults === undefined && token === undefined) {
        const urls = names.slice(0, 1000).map(queueUrl);
        return urls.length > 0 ? { QueueUrls: urls } : {};
      }
      if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) {
        throw sqsErrors.invalidParameterValue(
          `Value ${maxResults} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`,
        );
      }
      const start = token === undefined ? 0 : decodeOffsetToken(token);
      if (start === undefined) throw sqsErrors.invalidParameterValue("Invalid NextToken value.");
      const page = pageFrom(names, start, maxResults ?? 1000);
      return {
        ...(page.items.length > 0 ? { QueueUrls: page.items.map(queueUrl) } : {}),
        ...(page.next === undefined ? {} : { NextToken: encodeOffsetToken(page.next) }),
      };
    },
  },
  ListDeadLetterSourceQueues: onQueue("ListDeadLetterSourceQueues", (input, context) => {
    const target = queueOf(input, context);
    const sources = context.store
      .listQueueNames()
      .filter((name) => context.store.queue(name)?.redrivePolicy()?.deadLetterTargetArn === target.arn);
    return { queueUrls: sources.map(context.queueUrl) };
  }),
  TagQueue: onQueue("TagQueue", (input, context) => {
    const queue = queueOf(input, context);
    const tags = stringMap(input, "Tags");
    if (Object.keys(tags).length === 0) throw sqsErrors.missingParameter("Tags");
    mergeQueueTags(queue.record.tags, tags);
    context.store.tagQueue(queue, tags);
    return {};
  }),
  UntagQueue: onQueue("UntagQueue", (input, context) => {
    const keys = stringList(input, "TagKeys");
    if (keys.length === 0) throw sqsErrors.missingParameter("TagKeys");
    context.store.untagQueue(queueOf(input, context), keys);
    return {};
  }),
  ListQueueTags: onQueue("ListQueueTags", (input, context) => {
    const tags = queueOf(input, context).record.tags;
    return Object.keys(tags).length > 0 ? { Tags: { ...tags } } : {};
  }),
  StartMessageMoveTask: {
    action: sqs("StartMessageMoveTask"),
    queueName: (input) => queueNameOfArn(requiredString(input, "SourceArn")),
    run(input, { moveTasks }) {
      const task = moveTasks.start(
        requiredString(input, "SourceArn"),
        optionalString(input, "DestinationArn"),
        optionalInteger(input, "MaxNumberOfMessagesPerSecond"),
      );
      return { TaskHandle: task.taskHandle };
    },
  },
  ListMessageMoveTasks: {
    action: sqs("ListMessageMoveTasks"),
    queueName: (input) => queueNameOfArn(requiredString(input, "SourceArn")),
    run(input, { moveTasks }) {
      const tasks = moveTasks.list(requiredString(input, "SourceArn"), optionalInteger(input, "MaxResults"));
      return { Results: tasks.map(renderMoveTask) };
    },
  },
  CancelMessageMoveTask: {
    action: sqs("CancelMessageMoveTask"),
    // The task's source queue, which its handle names; a handle this engine did not write names none.
    queueName: (input) => {
      const sourceArn = sourceArnOfHandle(requiredString(input, "TaskHandle"));
      return sourceArn === undefined ? undefined : queueNameOfArn(sourceArn);
    },
    run(input, { moveTasks }) {
      const task = moveTasks.cancel(requiredString(input, "TaskHandle"));
      return { ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved };
    },
  },
};

/** The queue name an SQS ARN ends with (`arn:aws:sqs:<region>:<account>:<name>`). */
const queueNameOfArn = (arn: string): string => arn.split(":").at(-1) ?? arn;

/** A task as ListMessageMoveTasks answers it: its handle only while it runs (the handle a cancel takes). */
function renderMoveTask(task: MoveTask): JsonObject {
  return {
    ...(task.status === "RUNNING" ? { TaskHandle: task.taskHandle } : {}),
    Status: task.status,
    SourceArn: task.sourceArn,
    ...(task.destinationArn === undefined ? {} : { DestinationArn: task.destinationArn }),
    ...(task.maxNumberOfMessagesPerSecond === undefined
      ? {}
      : { MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond }),
    ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved,
    ApproximateNumberOfMessagesToMove: task.approximateNumberOfMessagesToMove,
    ...(task.failureReason === undefined ? {} : { FailureReason: task.failureReason }),
    StartedTimestamp: task.startedTimestamp,
  };
}
