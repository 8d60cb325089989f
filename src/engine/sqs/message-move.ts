import { randomUUID } from "node:crypto";
import { SqsError, sqsErrors } from "./errors.ts";
import type { Queue, StoredMessage } from "./queue.ts";
import type { SqsStore } from "./store.ts";

/**
 * SQS's message movement tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): redrive a
 * dead-letter queue's messages to a destination queue, or back to each message's original source queue, at a
 * rate of at most `MaxNumberOfMessagesPerSecond`, one running task per source queue. AWS's rules and wording are
 * cited in docs/engine.md. Tasks live in memory (a restart forgets them; the messages they moved stay moved).
 */

export type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

export interface MoveTask {
  taskHandle: string;
  status: MoveTaskStatus;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove: number;
  failureReason?: string;
  /** Epoch ms. */
  startedTimestamp: number;
}

/** AWS's largest rate; a task without one moves as fast as the engine ticks it, at this rate. */
const MAX_MOVE_RATE = 500;
/** A task moves a share of its rate every tick. */
const TICK_MS = 100;
/** How long a message being moved stays invisible in the source, should a send fail midway. */
const MOVE_VISIBILITY_SECONDS = 30;
/** AWS lists at most this many tasks per source queue. */
const MAX_LISTED_TASKS = 10;

/** The handle names the task and its source, so a cancel finds both (opaque to clients, as AWS's is). */
function encodeHandle(id: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ id, sourceArn })).toString("base64url");
}

/** The source queue ARN a task handle names, or undefined for a handle this engine did not write. */
export function sourceArnOfHandle(handle: string): string | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(handle, "base64url").toString("utf8")) as { sourceArn?: unknown };
    return typeof decoded.sourceArn === "string" ? decoded.sourceArn : undefined;
  } catch {
    return undefined;
  }
}

const resourceNotFound = (message: string) =>
  new SqsError("ResourceNotFoundException", "ResourceNotFoundException", 404, message);

export class MessageMoveTasks {
  /** Tasks by source ARN, oldest first. */
  readonly #tasks = new Map<string, MoveTask[]>();
  readonly #timers = new Map<MoveTask, NodeJS.Timeout>();

  readonly store: SqsStore;

  constructor(store: SqsStore) {
    this.store = store;
  }

  /** StartMessageMoveTask: checks as AWS does, then moves in the background; answers the task's handle. */
  start(sourceArn: string, destinationArn: string | undefined, rate: number | undefined): MoveTask {
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_MOVE_RATE)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and ${MAX_MOVE_RATE}, if provided.`,
      );
    }
    const source = this.store.queueByArn(sourceArn);
    if (!source)
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const isDeadLetterQueue = this.store
      .listQueueNames()
      .some((name) => this.store.queue(name)?.redrivePolicy()?.deadLetterTargetArn === sourceArn);
    if (!isDeadLetterQueue)
      throw sqsErrors.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.");
    if (destinationArn !== undefined && !this.store.queueByArn(destinationArn))
      throw resourceNotFound(
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      );
    if (this.#list(sourceArn).some((task) => task.status === "RUNNING" || task.status === "CANCELLING")) {
      throw sqsErrors.invalidParameterValue(
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
      );
    }
    const task: MoveTask = {
      taskHandle: encodeHandle(randomUUID(), sourceArn),
      status: "RUNNING",
      sourceArn,
      ...(destinationArn === undefined ? {} : { destinationArn }),
      ...(rate === undefined ? {} : { maxNumberOfMessagesPerSecond: rate }),
      approximateNumberOfMessagesMoved: 0,
      approximateNumberOfMessagesToMove: source.counts(this.store.now()).visible,
      startedTimestamp: this.store.now(),
    };
    // The tasks ListMessageMoveTasks can still show, and no more: a client redriving in a loop leaves nothing behind.
    this.#tasks.set(sourceArn, [...this.#list(sourceArn), task].slice(-MAX_LISTED_TASKS));
    this.#schedule(task, 0);
    return task;
  }

  /** ListMessageMoveTasks: the source queue's most recent tasks, newest first. */
  list(sourceArn: string, maxResults: number | undefined): MoveTask[] {
    if (
      maxResults !== undefined &&
      (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LISTED_TASKS)
    ) {
      throw sqsErrors.invalidParameterValue(
        "Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.",
      );
    }
    if (!this.store.queueByArn(sourceArn))
      throw resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    return [...this.#list(sourceArn)].reverse().slice(0, maxResults ?? 1);
  }

  /** CancelMessageMoveTask: stops a running task; the messages it moved stay moved. */
  cancel(taskHandle: string): MoveTask {
    const sourceArn = sourceArnOfHandle(taskHandle);
    const task =
      sourceArn === undefined ? undefined : this.#list(sourceArn).find((t) => t.taskHandle === taskHandle);
    if (!task) throw resourceNotFound("Task does not exist.");
    if (task.status !== "RUNNING") {
      throw sqsErrors.invalidParameterValue(
        `Value for parameter TaskHandle is invalid. Reason: the task is ${task.status}, only a RUNNING task can be cancelled.`,
      );
    }
    this.#stop(task, "CANCELLED");
    return task;
  }

  /** Drops a deleted source queue's tasks (a running one stops where it is). */
  forget(sourceArn: string): void {
    for (const task of this.#list(sourceArn)) {
      clearTimeout(this.#timers.get(task));
      this.#timers.delete(task);
    }
    this.#tasks.delete(sourceArn);
  }

  /** How many of a source's tasks are kept (at most the 10 ListMessageMoveTasks can show). */
  tasksKept(sourceArn: string): number {
    return this.#list(sourceArn).length;
  }

  /** Ends every running task's timer (the engine is stopping). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #list(sourceArn: string): MoveTask[] {
    return this.#tasks.get(sourceArn) ?? [];
  }

  #schedule(task: MoveTask, credit: number): void {
    const timer = setTimeout(() => this.#tick(task, credit), TICK_MS);
    timer.unref();
    this.#timers.set(task, timer);
  }

  /** Moves this tick's share of the task's rate (a fraction of a message carries over to the next tick). */
  #tick(task: MoveTask, carried: number): void {
    this.#timers.delete(task);
    if (task.status !== "RUNNING") return;
    const source = this.store.queueByArn(task.sourceArn);
    if (!source) {
      this.#stop(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue");
      return;
    }
    let credit = carried + ((task.maxNumberOfMessagesPerSecond ?? MAX_MOVE_RATE) * TICK_MS) / 1000;
    try {
      while (credit >= 1 && task.approximateNumberOfMessagesMoved < task.approximateNumberOfMessagesToMove) {
        const [received] = this.store.receive(source, {
          maxNumberOfMessages: 1,
          visibilityTimeout: MOVE_VISIBILITY_SECONDS,
        });
        if (!received) break;
        this.#moveOne(task, source, received.message, received.receiptHandle);
        credit -= 1;
      }
    } catch (error) {
      const reason =
        error instanceof SqsError ? error.code : error instanceof Error ? error.message : String(error);
      this.#stop(task, "FAILED", reason);
      return;
    }
    const drained = source.counts(this.store.now()).visible === 0;
    if (task.approximateNumberOfMessagesMoved >= task.approximateNumberOfMessagesToMove || drained)
      this.#stop(task, "COMPLETED");
    else this.#schedule(task, Math.min(credit, 1));
  }

  #moveOne(task: MoveTask, source: Queue, message: StoredMessage, receiptHandle: string): void {
    const targetArn = task.destinationArn ?? message.deadLetterQueueSourceArn;
    const target = targetArn === undefined ? undefined : this.store.queueByArn(targetArn);
    if (!target) throw new Error(`message ${message.messageId} names no source queue to move it back to`);
    this.store.send(target, {
      body: message.body,
      attributes: message.attributes,
      senderId: message.senderId,
      ...(message.messageGroupId === undefined ? {} : { messageGroupId: message.messageGroupId }),
      ...(message.messageDeduplicationId === undefined
        ? {}
        : { messageDeduplicationId: message.messageDeduplicationId }),
    });
    this.store.deleteMessage(source, receiptHandle);
    task.approximateNumberOfMessagesMoved += 1;
  }

  #stop(task: MoveTask, status: MoveTaskStatus, failureReason?: string): void {
    const timer = this.#timers.get(task);
    if (timer) clearTimeout(timer);
    this.#timers.delete(task);
    task.status = status;
    if (failureReason !== undefined) task.failureReason = failureReason;
  }
}
