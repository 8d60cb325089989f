import { sqsErrors } from "./errors.ts";

/**
 * Queue attributes as SQS validates them: which a caller may set, their ranges and defaults, the redrive policy's
 * shape, and which are computed (read-only). Values travel as strings, as on the wire.
 */

export const MAX_BODY_BYTES = 262_144;

interface NumberAttribute {
  min: number;
  max: number;
  default: number;
}

/** Settable numeric attributes, with AWS's ranges and defaults. */
export const numericAttributes: Record<string, NumberAttribute> = {
  DelaySeconds: { min: 0, max: 900, default: 0 },
  MaximumMessageSize: { min: 1024, max: MAX_BODY_BYTES, default: MAX_BODY_BYTES },
  MessageRetentionPeriod: { min: 60, max: 1_209_600, default: 345_600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20, default: 0 },
  VisibilityTimeout: { min: 0, max: 43_200, default: 30 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400, default: 300 },
};

/** Settable attributes kept as given (after their own check). */
const otherSettable = new Set([
  "Policy",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "SqsManagedSseEnabled",
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
]);

/** Attributes the queue computes; GetQueueAttributes returns them, SetQueueAttributes refuses them. */
export const computedAttributes = [
  "QueueArn",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
] as const;

/** What a new standard queue holds unless told otherwise (GetQueueAttributes `All` lists these). */
export function defaultQueueAttributes(): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, spec] of Object.entries(numericAttributes)) {
    if (name !== "KmsDataKeyReusePeriodSeconds") attributes[name] = String(spec.default);
  }
  attributes.SqsManagedSseEnabled = "true";
  return attributes;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** Parses a RedrivePolicy value; AWS's InvalidParameterValue naming what is wrong. */
export function parseRedrivePolicy(text: string): RedrivePolicy {
  const invalid = (reason: string) =>
    sqsErrors.invalidParameterValue(
      `Value ${text} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("Invalid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("Invalid JSON.");
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== "deadLetterTargetArn" && key !== "maxReceiveCount")
      throw invalid(`Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].`);
  }
  if (record.deadLetterTargetArn === undefined)
    throw invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  if (record.maxReceiveCount === undefined)
    throw invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  const count = Number(record.maxReceiveCount);
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw invalid("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.");
  const arn = String(record.deadLetterTargetArn);
  if (!/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}$/.test(arn))
    throw invalid("Invalid value for deadLetterTargetArn.");
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

/**
 * Checks attributes given to CreateQueue or SetQueueAttributes and returns them normalised (integers without
 * leading zeros). `checkPolicy` parses a Policy document (IAM's parser); `deadLetterExists` says whether a
 * redrive target is a queue of this engine.
 */
export function validateQueueAttributes(
  attributes: Record<string, string>,
  checks: { checkPolicy(text: string): boolean; deadLetterExists(arn: string): boolean },
): Record<string, string> {
  const normalised: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    const value = String(raw);
    const numeric = numericAttributes[name];
    if (numeric) {
      const number = Number(value);
      if (value.trim() === "" || !Number.isInteger(number) || number < numeric.min || number > numeric.max)
        throw sqsErrors.invalidAttributeValue(name);
      normalised[name] = String(number);
      continue;
    }
    if (!otherSettable.has(name)) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    switch (name) {
      case "FifoQueue":
        if (value.toLowerCase() === "true")
          throw sqsErrors.invalidParameterValue("FIFO queues are not emulated by the embedded engine.");
        throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
      case "ContentBasedDeduplication":
      case "DeduplicationScope":
      case "FifoThroughputLimit":
        throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
      case "SqsManagedSseEnabled":
        if (!["true", "false"].includes(value.toLowerCase())) throw sqsErrors.invalidAttributeValue(name);
        normalised[name] = value.toLowerCase();
        continue;
      case "Policy":
        if (value !== "" && !checks.checkPolicy(value)) throw sqsErrors.invalidAttributeValue(name);
        normalised[name] = value;
        continue;
      case "RedrivePolicy": {
        if (value === "") {
          normalised[name] = value;
          continue;
        }
        const policy = parseRedrivePolicy(value);
        if (!checks.deadLetterExists(policy.deadLetterTargetArn)) {
          throw sqsErrors.invalidParameterValue(
            `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.`,
          );
        }
        // AWS returns the policy re-serialised with a numeric maxReceiveCount.
        normalised[name] = JSON.stringify(policy);
        continue;
      }
      default:
        normalised[name] = value;
    }
  }
  return normalised;
}

/** Attribute names GetQueueAttributes accepts (`All`, every settable and computed name). */
export function isKnownAttributeName(name: string): boolean {
  return (
    name === "All" ||
    name in numericAttributes ||
    otherSettable.has(name) ||
    (computedAttributes as readonly string[]).includes(name)
  );
}

/** Queue names: 1 to 80 alphanumerics, hyphens or underscores. */
export function checkQueueName(name: string): void {
  if (name.endsWith(".fifo"))
    throw sqsErrors.invalidParameterValue("FIFO queues are not emulated by the embedded engine.");
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw sqsErrors.invalidParameterValue(
      "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
    );
  }
}
