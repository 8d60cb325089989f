import { createHash } from "node:crypto";
import { sqsErrors } from "./errors.ts";
import type { Queue } from "./queue.ts";

/**
 * FIFO queues' rules: what a send must carry (a group, and a deduplication id unless the queue derives it from
 * the body), the key a duplicate is recognised by within 5 minutes, and which groups a receive must skip because
 * one of their messages is in flight (order within a group).
 */

export interface FifoSend {
  messageGroupId: string;
  messageDeduplicationId: string;
  /** The deduplication id, within its group when DeduplicationScope is `messageGroup`. */
  key: string;
}

const fifoIdPattern = /^[!-~]{1,128}$/;

/** Checks a send to a FIFO queue and returns its group, deduplication id and key. */
export function fifoSend(
  queue: Queue,
  input: { messageGroupId?: string; messageDeduplicationId?: string; delaySeconds?: number },
  body: string,
): FifoSend {
  // FIFO queues take no per-message delay; an explicit 0 asks for none and AWS accepts it.
  if (input.delaySeconds !== undefined && input.delaySeconds !== 0) {
    throw sqsErrors.invalidParameterValue(
      `Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
    );
  }
  const group = input.messageGroupId;
  if (group === undefined || group === "") throw sqsErrors.missingParameter("MessageGroupId");
  let deduplicationId = input.messageDeduplicationId;
  if (deduplicationId === undefined || deduplicationId === "") {
    if (queue.record.attributes.ContentBasedDeduplication !== "true") {
      throw sqsErrors.invalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    }
    deduplicationId = createHash("sha256").update(body, "utf8").digest("hex");
  }
  for (const [name, value] of [
    ["MessageGroupId", group],
    ["MessageDeduplicationId", deduplicationId],
  ] as const) {
    if (!fifoIdPattern.test(value)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${value} for parameter ${name} is invalid. Reason: It can contain only alphanumeric characters and punctuation, 1 to 128 long.`,
      );
    }
  }
  const perGroup = queue.record.attributes.DeduplicationScope === "messageGroup";
  return {
    messageGroupId: group,
    messageDeduplicationId: deduplicationId,
    key: perGroup ? `${group}\u0000${deduplicationId}` : deduplicationId,
  };
}

/** The groups of a FIFO queue with a message in flight: no other message of theirs may be received now. */
export function groupsInFlight(queue: Queue, now: number): Set<string> {
  const groups = new Set<string>();
  if (!queue.fifo) return groups;
  for (const message of queue.messages.values()) {
    if (message.messageGroupId !== undefined && message.receiveCount > 0 && message.visibleAt > now)
      groups.add(message.messageGroupId);
  }
  return groups;
}
