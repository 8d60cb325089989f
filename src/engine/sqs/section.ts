import { MiB } from "../request-limits.ts";
import { type BufferedBody, readOnlyQueryActions, type ServiceSection } from "../service/section.ts";
import { MAX_BODY_BYTES } from "./queue-attributes.ts";

/**
 * SQS requests: a batch carries at most 1 MiB of bodies and attributes, which JSON escaping or the query
 * protocol's form encoding may grow up to sixfold.
 */
const sqsRequestBytes = 6 * MiB;

/**
 * A request past SQS's buffered limit, in SQS's own errors (the SDK and the AWS CLI name both): a batch is
 * `BatchRequestTooLong`, any other request `InvalidParameterValue` with AWS's message-size sentence (cited in
 * docs/engine.md).
 */
function sqsTooLarge(operation: string): BufferedBody {
  return operation === "SendMessageBatch"
    ? {
        bytes: sqsRequestBytes,
        status: 400,
        code: "BatchRequestTooLong",
        queryCode: "AWS.SimpleQueueService.BatchRequestTooLong",
        message: `Batch requests cannot be longer than ${MAX_BODY_BYTES} bytes.`,
      }
    : {
        bytes: sqsRequestBytes,
        status: 400,
        code: "InvalidParameterValue",
        queryCode: "InvalidParameterValue",
        message: `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BODY_BYTES} bytes.`,
      };
}

/**
 * SQS's service-level section (service/section.ts): JSON 1.0 (`AmazonSQS.<Op>`, SDK v3 and AWS CLI) and query
 * (API version 2012-11-05) on one endpoint; `x-amzn-errortype` carries the whole shape id, as `__type` does.
 */
export const sqsSection: ServiceSection = {
  signingName: "sqs",
  protocols: {
    query: { version: "2012-11-05", namespace: "http://queue.amazonaws.com/doc/2012-11-05/" },
    json: {
      version: "1.0",
      targetPrefixes: ["AmazonSQS"],
      errorPrefix: "com.amazonaws.sqs",
      fullErrorType: true,
    },
  },
  bodyLimit: (_head, operation) => sqsTooLarge(operation),
  readOnlyOperations: readOnlyQueryActions,
  throttling: { status: 400, code: "RequestThrottled" },
  internalErrorCode: "InternalFailure",
  storage: { directory: "sqs", journal: {} },
};
