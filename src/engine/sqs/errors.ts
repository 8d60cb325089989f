import { ServiceError } from "../service/index.ts";

/**
 * SQS's errors, each with the two names AWS gives it: the JSON protocol's shape name (`QueueDoesNotExist`, what
 * SDK v3 throws) and the query protocol's code (`AWS.SimpleQueueService.NonExistentQueue`, what the AWS CLI
 * prints and what the JSON protocol also sends in `x-amzn-query-error`), with AWS's HTTP status.
 */
export class SqsError extends ServiceError {
  constructor(
    /** Shape name in the JSON protocol (`__type`). */
    code: string,
    /** Code in the query protocol and the `x-amzn-query-error` header. */
    queryCode: string,
    status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(status, code, message, {
      queryCode,
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "SqsError";
  }
}

const error = (code: string, queryCode: string, status: number) => (message: string) =>
  new SqsError(code, queryCode, status, message);

export const sqsErrors = {
  queueDoesNotExist: () =>
    new SqsError(
      "QueueDoesNotExist",
      "AWS.SimpleQueueService.NonExistentQueue",
      400,
      "The specified queue does not exist.",
    ),
  queueNameExists: (attribute: string) =>
    new SqsError(
      "QueueNameExists",
      "QueueAlreadyExists",
      400,
      `A queue already exists with the same name and a different value for attribute ${attribute}`,
    ),
  invalidParameterValue: error("InvalidParameterValue", "InvalidParameterValue", 400),
  missingParameter: (name: string) =>
    new SqsError(
      "MissingParameter",
      "MissingParameter",
      400,
      `The request must contain the parameter ${name}.`,
    ),
  invalidAttributeName: error("InvalidAttributeName", "InvalidAttributeName", 400),
  invalidAttributeValue: (name: string, reason?: string) =>
    new SqsError(
      "InvalidAttributeValue",
      "InvalidAttributeValue",
      400,
      `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ""}`,
    ),
  invalidMessageContents: () =>
    new SqsError(
      "InvalidMessageContents",
      "InvalidMessageContents",
      400,
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError(
      "ReceiptHandleIsInvalid",
      "ReceiptHandleIsInvalid",
      404,
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
    ),
  messageNotInflight: () =>
    new SqsError(
      "MessageNotInflight",
      "AWS.SimpleQueueService.MessageNotInflight",
      400,
      "Message does not exist or is not available for visibility timeout change.",
    ),
  emptyBatchRequest: (entryName: string) =>
    new SqsError(
      "EmptyBatchRequest",
      "AWS.SimpleQueueService.EmptyBatchRequest",
      400,
      `There should be at least one ${entryName} in the request.`,
    ),
  tooManyEntriesInBatchRequest: (count: number) =>
    new SqsError(
      "TooManyEntriesInBatchRequest",
      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
      400,
      `Maximum number of entries per request are 10. You have sent ${count}.`,
    ),
  batchEntryIdsNotDistinct: (id: string) =>
    new SqsError(
      "BatchEntryIdsNotDistinct",
      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
      400,
      `Id ${id} repeated.`,
    ),
  invalidBatchEntryId: () =>
    new SqsError(
      "InvalidBatchEntryId",
      "AWS.SimpleQueueService.InvalidBatchEntryId",
      400,
      "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
    ),
  batchRequestTooLong: (bytes: number, limit: number) =>
    new SqsError(
      "BatchRequestTooLong",
      "AWS.SimpleQueueService.BatchRequestTooLong",
      400,
      `Batch requests cannot be longer than ${limit} bytes. You have sent ${bytes} bytes.`,
    ),
  purgeQueueInProgress: (queueName: string) =>
    new SqsError(
      "PurgeQueueInProgress",
      "AWS.SimpleQueueService.PurgeQueueInProgress",
      403,
      `Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`,
    ),
  overLimit: error("OverLimit", "OverLimit", 403),
  unsupportedOperation: error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400),
  invalidAction: (operation: string) =>
    new SqsError(
      "InvalidAction",
      "InvalidAction",
      400,
      `The action ${operation} is not valid for this endpoint.`,
    ),
  accessDenied: error("AccessDenied", "AccessDenied", 403),
} as const;
