import { sqsErrors } from "./errors.ts";

/**
 * Queue attributes as SQS validates them: which a caller may set, their ranges and defaults, the redrive policy's
 * shape, and which are computed (read-only). Values travel as strings, as on the wire.
 */

/**
 * The largest message (body and attributes), and the largest batch: 1 MiB each since AWS raised both from 256 KiB
 * (SQS API Reference: CreateQueue `MaximumMessageSize` "1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB). Default:
 * 1,048,576"; SendMessageBatch "both 1 MiB").
 */
export const MAX_BODY_BYTES = 1_048_576;

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

/** The values the FIFO attributes accept (the first is the default). */
const fifoAttributeValues: Record<string, string[]> = {
  FifoQueue: ["true"],
  ContentBasedDeduplication: ["false", "true"],
  DeduplicationScope: ["queue", "messageGroup"],
  FifoThroughputLimit: ["perQueue", "perMessageGroupId"],
};

/** How long a FIFO queue remembers a deduplication id: 5 minutes. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

/** What a new FIFO queue holds besides a standard queue's defaults. */
export function defaultFifoAttributes(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fifoAttributeValues).map(([name, values]) => [name, values[0] as string]),
  );
}

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
  // A FIFO dead-letter queue's name ends in `.fifo` (a FIFO source needs one).
  if (!/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:(?:[\w-]{1,75}\.fifo|[\w-]{1,80})$/.test(arn))
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
  checks: {
    checkPolicy(text: string): boolean;
    /** Whether the redrive target is a queue of this engine, and a FIFO one. */
    deadLetter(arn: string): { fifo: boolean } | undefined;
    /** Whether the queue is (or is being created as) a FIFO queue. */
    fifo: boolean;
  },
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
      case "ContentBasedDeduplication":
      case "DeduplicationScope":
      case "FifoThroughputLimit": {
        // FIFO attributes exist on FIFO queues only; a FIFO queue stays one.
        if (!checks.fifo) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        const allowed = fifoAttributeValues[name] ?? [];
        const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
        if (match === undefined) throw sqsErrors.invalidAttributeValue(name);
        normalised[name] = match;
        continue;
      }
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
        const target = checks.deadLetter(policy.deadLetterTargetArn);
        if (!target) {
          throw sqsErrors.invalidParameterValue(
            `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.`,
          );
        }
        if (target.fifo !== checks.fifo) {
          throw sqsErrors.invalidParameterValue(
            `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..`,
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

/**
 * Queue names: 1 to 80 alphanumerics, hyphens or underscores; a FIFO queue's (`FifoQueue=true`) ends in `.fifo`,
 * which counts toward the 80.
 */
export function checkQueueName(name: string, fifo: boolean): void {
  if (fifo) {
    if (!/^[A-Za-z0-9_-]{1,75}\.fifo$/.test(name)) {
      throw sqsErrors.invalidParameterValue(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
      );
    }
    return;
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw sqsErrors.invalidParameterValue(
      "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
    );
  }
}

/** A numeric request parameter's range, with AWS's wording. */
export function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw sqsErrors.invalidParameterValue(
      `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
}

/** ReceiveMessage's numeric parameters, with AWS's ranges. */
export function checkReceiveInput(input: {
  maxNumberOfMessages?: number | undefined;
  visibilityTimeout?: number | undefined;
  waitTimeSeconds?: number | undefined;
}): void {
  checkRange("MaxNumberOfMessages", input.maxNumberOfMessages, 1, 10);
  checkRange("VisibilityTimeout", input.visibilityTimeout, 0, 43_200);
  checkRange("WaitTimeSeconds", input.waitTimeSeconds, 0, 20);
}
