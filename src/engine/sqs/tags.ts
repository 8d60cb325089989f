import { sqsErrors } from "./errors.ts";

/**
 * Queue tags within SQS's quotas ("Quotas related to queues": at most 50 tags a queue, keys up to 128 and values up
 * to 256 characters; keys are case-sensitive and a key given again replaces its value). SQS states the limits but
 * not its wording for breaking them, so the messages here are the engine's own, naming the limit.
 */
const MAX_QUEUE_TAGS = 50;

/** The tags a queue has once `added` are merged into `existing`; refuses what breaks the quotas. */
export function mergeQueueTags(
  existing: Readonly<Record<string, string>>,
  added: Readonly<Record<string, string>>,
): Record<string, string> {
  for (const [key, value] of Object.entries(added)) {
    if (key.length < 1 || key.length > 128)
      throw sqsErrors.invalidParameterValue(`Tag key '${key}' must be 1 to 128 characters long.`);
    if (value.length > 256)
      throw sqsErrors.invalidParameterValue(`The value of tag '${key}' must be at most 256 characters long.`);
  }
  const merged = { ...existing, ...added };
  const count = Object.keys(merged).length;
  if (count > MAX_QUEUE_TAGS)
    throw sqsErrors.invalidParameterValue(
      `Too many tags: a queue can have at most ${MAX_QUEUE_TAGS}, and this request would give it ${count}.`,
    );
  return merged;
}
