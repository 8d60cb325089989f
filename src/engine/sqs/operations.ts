import * as z from "zod";
import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import { type AnyOperation, type OperationCall, operation } from "../service/index.ts";
import { sqsErrors } from "./errors.ts";
import { integer, queueNameFromUrl, stringList, stringMap, text } from "./inputs.ts";
import { type MessageMoveTasks, type MoveTask, sourceArnOfHandle } from "./message-move.ts";
import { messageOperations } from "./message-operations.ts";
import type { Queue } from "./queue.ts";
import { computedAttributes, isKnownAttributeName } from "./queue-attributes.ts";
import type { SqsStore } from "./store.ts";
import { mergeQueueTags } from "./tags.ts";

/**
 * SQS's operations, declared in the one form (`operation()`: name, IAM action, the queue ARN it acts on, the
 * zod input in the JSON protocol's member names, handler); the query protocol's shapes are mapped to and from
 * them by the service's query codec (query-protocol.ts). The store holds the rules.
 */

/** What the operations need from the service. */
export interface SqsOperationContext {
  store: SqsStore;
  /** The running and finished message movement tasks (dead-letter queue redrives). */
  moveTasks: MessageMoveTasks;
  /** `arn:aws:sqs:<region>:<account>:<name>`; `*` for account-wide calls. */
  queueArn(name: string): string;
  /** `http://<host the request came to>/<account>/<name>` */
  queueUrl(call: OperationCall, name: string): string;
  /** The SenderId messages sent by this call's caller carry. */
  senderId(call: OperationCall): string;
}

/** The context with the lookups every queue operation shares. */
export interface SqsOperationDependencies extends SqsOperationContext {
  /** The queue a QueueUrl names, or QueueDoesNotExist. */
  queueAt(url: string): Queue;
  /** The IAM resource of a call on the queue its QueueUrl names (another account's queue does not exist). */
  onQueue(input: { QueueUrl: string }): string;
}

/** SQS's operations, over the service's store and tasks. */
export function sqsOperations(context: SqsOperationContext): AnyOperation[] {
  const accountId = () => context.store.accountId;
  const dependencies: SqsOperationDependencies = {
    ...context,
    queueAt: (url) => context.store.requireQueue(queueNameFromUrl(url, accountId())),
    onQueue: (input) => context.queueArn(queueNameFromUrl(input.QueueUrl, accountId())),
  };
  return [
    ...queueOperations(dependencies),
    ...messageOperations(dependencies),
    ...moveTaskOperations(context),
  ];
}

function queueOperations({
  store,
  queueArn,
  queueUrl,
  queueAt,
  onQueue,
  moveTasks,
}: SqsOperationDependencies): AnyOperation[] {
  const queueUrlInput = z.object({ QueueUrl: text });
  return [
    operation({
      name: "CreateQueue",
      input: z.object({ QueueName: text, Attributes: stringMap.optional(), tags: stringMap.optional() }),
      resource: (input) => queueArn(input.QueueName),
      handler: (input, call) => {
        const tags = mergeQueueTags({}, input.tags ?? {});
        const { queue } = store.createQueue(input.QueueName, input.Attributes ?? {}, tags);
        return { QueueUrl: queueUrl(call, queue.name) };
      },
    }),
    operation({
      name: "GetQueueUrl",
      input: z.object({ QueueName: text, QueueOwnerAWSAccountId: text.optional() }),
      resource: (input) => queueArn(input.QueueName),
      handler: (input, call) => {
        const owner = input.QueueOwnerAWSAccountId;
        if (owner !== undefined && owner !== store.accountId) throw sqsErrors.queueDoesNotExist();
        return { QueueUrl: queueUrl(call, store.requireQueue(input.QueueName).name) };
      },
    }),
    operation({
      name: "GetQueueAttributes",
      input: z.object({ QueueUrl: text, AttributeNames: stringList.optional() }),
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        const names = input.AttributeNames ?? [];
        for (const name of names) {
          if (!isKnownAttributeName(name)) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        }
        const all = store.attributesOf(queue);
        const wanted = names.includes("All") ? Object.keys(all) : names;
        const attributes = Object.fromEntries(
          wanted.filter((name) => all[name] !== undefined).map((name) => [name, all[name]]),
        );
        return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
      },
    }),
    operation({
      name: "SetQueueAttributes",
      input: z.object({ QueueUrl: text, Attributes: stringMap.optional() }),
      resource: onQueue,
      handler: (input) => {
        const attributes = input.Attributes ?? {};
        for (const name of Object.keys(attributes)) {
          if ((computedAttributes as readonly string[]).includes(name))
            throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        }
        store.setAttributes(queueAt(input.QueueUrl), attributes);
        return undefined;
      },
    }),
    operation({
      name: "PurgeQueue",
      input: queueUrlInput,
      resource: onQueue,
      handler: (input) => {
        store.purge(queueAt(input.QueueUrl));
        return undefined;
      },
    }),
    operation({
      name: "DeleteQueue",
      input: queueUrlInput,
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        store.deleteQueue(queue.name);
        // A queue made again under the name is another queue: it lists none of these tasks.
        moveTasks.forget(queue.arn);
        return undefined;
      },
    }),
    operation({
      name: "ListQueues",
      input: z.object({
        QueueNamePrefix: text.optional(),
        NextToken: text.optional(),
        MaxResults: integer.optional(),
      }),
      resource: () => queueArn("*"),
      handler: (input, call) => {
        const names = store.listQueueNames(input.QueueNamePrefix ?? "");
        const { MaxResults: maxResults, NextToken: token } = input;
        const url = (name: string) => queueUrl(call, name);
        if (maxResults === undefined && token === undefined) {
          const urls = names.slice(0, 1000).map(url);
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
          ...(page.items.length > 0 ? { QueueUrls: page.items.map(url) } : {}),
          ...(page.next === undefined ? {} : { NextToken: encodeOffsetToken(page.next) }),
        };
      },
    }),
    operation({
      name: "ListDeadLetterSourceQueues",
      input: queueUrlInput,
      resource: onQueue,
      handler: (input, call) => {
        const target = queueAt(input.QueueUrl);
        const sources = store
          .listQueueNames()
          .filter((name) => store.queue(name)?.redrivePolicy()?.deadLetterTargetArn === target.arn);
        return { queueUrls: sources.map((name) => queueUrl(call, name)) };
      },
    }),
    operation({
      name: "TagQueue",
      input: z.object({ QueueUrl: text, Tags: stringMap.optional() }),
      resource: onQueue,
      handler: (input) => {
        const queue = queueAt(input.QueueUrl);
        const tags = input.Tags ?? {};
        if (Object.keys(tags).length === 0) throw sqsErrors.missingParameter("Tags");
        mergeQueueTags(queue.record.tags, tags);
        store.tagQueue(queue, tags);
        return undefined;
      },
    }),
    operation({
      name: "UntagQueue",
      input: z.object({ QueueUrl: text, TagKeys: stringList.optional() }),
      resource: onQueue,
      handler: (input) => {
        const keys = input.TagKeys ?? [];
        if (keys.length === 0) throw sqsErrors.missingParameter("TagKeys");
        store.untagQueue(queueAt(input.QueueUrl), keys);
        return undefined;
      },
    }),
    operation({
      name: "ListQueueTags",
      input: queueUrlInput,
      resource: onQueue,
      handler: (input) => {
        const tags = queueAt(input.QueueUrl).record.tags;
        return Object.keys(tags).length > 0 ? { Tags: { ...tags } } : {};
      },
    }),
  ];
}

/** The queue name an SQS ARN ends with (`arn:aws:sqs:<region>:<account>:<name>`). */
const queueNameOfArn = (arn: string): string => arn.split(":").at(-1) ?? arn;

/** Dead-letter queue redrives: each needs its action on the source queue. */
function moveTaskOperations({ moveTasks, queueArn }: SqsOperationContext): AnyOperation[] {
  return [
    operation({
      name: "StartMessageMoveTask",
      input: z.object({
        SourceArn: text,
        DestinationArn: text.optional(),
        MaxNumberOfMessagesPerSecond: integer.optional(),
      }),
      resource: (input) => queueArn(queueNameOfArn(input.SourceArn)),
      handler: (input) => {
        const task = moveTasks.start(
          input.SourceArn,
          input.DestinationArn,
          input.MaxNumberOfMessagesPerSecond,
        );
        return { TaskHandle: task.taskHandle };
      },
    }),
    operation({
      name: "ListMessageMoveTasks",
      input: z.object({ SourceArn: text, MaxResults: integer.optional() }),
      resource: (input) => queueArn(queueNameOfArn(input.SourceArn)),
      handler: (input) => ({
        Results: moveTasks.list(input.SourceArn, input.MaxResults).map(renderMoveTask),
      }),
    }),
    operation({
      name: "CancelMessageMoveTask",
      input: z.object({ TaskHandle: text }),
      // The task's source queue, which its handle names; a handle this engine did not write names none.
      resource: (input) => {
        const sourceArn = sourceArnOfHandle(input.TaskHandle);
        return queueArn(sourceArn === undefined ? "*" : queueNameOfArn(sourceArn));
      },
      handler: (input) => ({
        ApproximateNumberOfMessagesMoved: moveTasks.cancel(input.TaskHandle).approximateNumberOfMessagesMoved,
      }),
    }),
  ];
}

/** A task as ListMessageMoveTasks answers it: its handle only while it runs (the handle a cancel takes). */
function renderMoveTask(task: MoveTask): Record<string, unknown> {
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
