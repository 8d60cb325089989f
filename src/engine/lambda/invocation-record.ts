import type { QueueMessageAttribute } from "../sqs/contract.ts";
import type { FunctionErrorPayload } from "./environment.ts";

/**
 * What Lambda sends about an asynchronous invocation once it is done with it: the invocation record its
 * on-success and on-failure destinations receive, and the attributes of the message its dead-letter queue
 * receives (whose body is the original event).
 */

/** Why the record was sent. */
export type InvocationCondition = "Success" | "RetriesExhausted" | "EventAgeExceeded";

/** The last attempt's result, as the record reports it. */
export type AttemptResponse =
  | { ok: true; payload: string }
  | {
      ok: false;
      error: FunctionErrorPayload;
      /** Set for failures of the Lambda service rather than the function (the role cannot be assumed, ...). */
      statusCode?: number;
    };

export interface InvocationRecordInput {
  requestId: string;
  /** The function's unqualified ARN. */
  functionArn: string;
  condition: InvocationCondition;
  /** Attempts made (0 when the event expired before its first). */
  approximateInvokeCount: number;
  /** The event as it was queued (JSON text). */
  requestPayload: string;
  /** Undefined when no attempt was made. */
  response?: AttemptResponse;
  timestamp: Date;
}

/**
 * The invocation record Lambda sends to a destination, in AWS's shape (version 1.0).
 *
 * @example
 * invocationRecord({ requestId: "r", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
 *   condition: "RetriesExhausted", approximateInvokeCount: 3, requestPayload: "{}",
 *   response: { ok: false, error: { errorType: "Error", errorMessage: "boom" } }, timestamp: new Date() })
 * // { version: "1.0", requestContext: { condition: "RetriesExhausted", ... }, responseContext: { statusCode: 200,
 * //   executedVersion: "$LATEST", functionError: "Unhandled" }, responsePayload: { errorType: "Error", ... } }
 */
export function invocationRecord(input: InvocationRecordInput): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: "1.0",
    timestamp: input.timestamp.toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: `${input.functionArn}:$LATEST`,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    requestPayload: parseJsonOrText(input.requestPayload),
  };
  const response = input.response;
  if (!response) return record;
  if (response.ok) {
    record.responseContext = { statusCode: 200, executedVersion: "$LATEST" };
    record.responsePayload = parseJsonOrText(response.payload);
    return record;
  }
  record.responseContext =
    response.statusCode === undefined
      ? { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" }
      : { statusCode: response.statusCode, executedVersion: "$LATEST" };
  record.responsePayload = { ...response.error };
  return record;
}

/** AWS keeps the first 1 KB of the error message in a dead-letter message's `ErrorMessage`. */
const errorMessageBytes = 1024;

/**
 * The message attributes of a dead-letter message: the request ID, the last attempt's HTTP status code (200 for
 * a function error) and the first kilobyte of its error message.
 */
export function deadLetterAttributes(
  requestId: string,
  response: AttemptResponse | undefined,
): Record<string, QueueMessageAttribute> {
  const failed = response && !response.ok ? response : undefined;
  const message = failed ? failed.error.errorMessage : "Event age exceeded";
  return {
    RequestID: { DataType: "String", StringValue: requestId },
    ErrorCode: { DataType: "Number", StringValue: String(failed?.statusCode ?? 200) },
    ErrorMessage: { DataType: "String", StringValue: truncateUtf8(message, errorMessageBytes) },
  };
}

function parseJsonOrText(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The longest prefix of `text` whose UTF-8 encoding fits `bytes`, never splitting a character. */
function truncateUtf8(text: string, bytes: number): string {
  const encoded = Buffer.from(text, "utf8");
  if (encoded.length <= bytes) return text;
  let end = bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return encoded.subarray(0, end).toString("utf8");
}
