import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { jsonError, queryError, restJsonError, toXml } from "./service/index.ts";
import type { RequestHead, ServiceResponse } from "./types.ts";

/**
 * Which service a request is for, before any service has seen it, and the edge's own answers (refusals,
 * throttling, failures) in that service's format, so that SDKs report a named error code.
 */

/** Target prefixes of the JSON protocols, for requests whose signature does not name the service. */
export const targetPrefixes: Record<string, string> = {
  DynamoDB_20120810: "dynamodb",
  DynamoDBStreams_20120810: "dynamodb",
  Logs_20140328: "logs",
  AmazonSQS: "sqs",
};

/** The query services' API versions, which name an unsigned query request's service. */
export const queryServiceByVersion: Record<string, string> = {
  "2010-05-08": "iam",
  "2011-06-15": "sts",
  "2012-11-05": "sqs",
};

/**
 * The service an unsigned request without a target names by its path: Lambda's function paths, as LocalStack's
 * service router (`custom_path_addressing_rules`) routes `/2015-03-31/functions/`; S3 otherwise.
 */
export function serviceByPath(rawPath: string): string {
  return /^\/(2015-03-31|2019-09-25)\/functions(\/|$)/.test(rawPath) ? "lambda" : "s3";
}

/** A request to `/` with a form body or an `Action` in its query string: never S3's. */
export function isUnsignedQuery(head: RequestHead): boolean {
  const contentType = String(head.headers["content-type"] ?? "");
  return (
    head.rawPath === "/" &&
    (contentType.startsWith("application/x-www-form-urlencoded") || head.query.has("Action"))
  );
}

/** Whether a request speaks the query protocol: IAM and STS always, SQS without `X-Amz-Target`. */
export function isQueryProtocol(service: string, jsonProtocol: boolean): boolean {
  return service === "iam" || service === "sts" || (service === "sqs" && !jsonProtocol);
}

/** An error in the protocol of the service a request was routed to (the edge refuses before the service runs). */
export function protocolError(
  service: string,
  jsonProtocol: boolean,
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra: Record<string, string> = {},
): ServiceResponse {
  if (isQueryProtocol(service, jsonProtocol)) return queryError(status, code, message, requestId);
  switch (service) {
    case "s3":
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: toXml("Error", { Code: code, Message: message, RequestId: requestId }),
      };
    case "lambda":
      return restJsonError(status, code.endsWith("Exception") ? code : `${code}Exception`, message, extra);
    case "dynamodb":
      return jsonError(status, code, message);
    case "logs":
      return jsonError(status, code, message, "com.amazonaws.logs");
    case "sqs":
      return jsonError(status, code, message, "com.amazonaws.sqs");
    default:
      return {
        status,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ error: code, message }),
      };
  }
}

/**
 * The answer beyond the engine's budget of buffered request bytes, each service's throttling error (codes and
 * statuses cited in docs/security.md): S3 `503 SlowDown`, Lambda `429 TooManyRequestsException`, SQS
 * `RequestThrottled`, the others `ThrottlingException`. SDKs retry all of them with backoff.
 */
export function throttled(service: string, jsonProtocol: boolean, requestId: string): ServiceResponse {
  const message = "Rate exceeded: the engine is reading too many request bodies at once; retry shortly";
  switch (service) {
    case "s3":
      return protocolError(
        service,
        jsonProtocol,
        503,
        "SlowDown",
        "Please reduce your request rate.",
        requestId,
      );
    case "lambda":
      return restJsonError(429, "TooManyRequestsException", message, {});
    case "sqs":
      return protocolError(service, jsonProtocol, 400, "RequestThrottled", message, requestId);
    case "internal":
      return protocolError(service, jsonProtocol, 503, "SlowDown", message, requestId);
    default:
      return protocolError(service, jsonProtocol, 400, "ThrottlingException", message, requestId);
  }
}

/** An answer for a failure of the engine itself, in the service's format (each service's 500 code). */
export function internalFailure(service: string, jsonProtocol: boolean, requestId: string): ServiceResponse {
  const message = "The engine failed to process the request (see its log)";
  const code =
    service === "s3"
      ? "InternalError"
      : service === "lambda"
        ? "ServiceException"
        : service === "dynamodb"
          ? "InternalServerError"
          : "InternalFailure";
  return protocolError(service, jsonProtocol, 500, code, message, requestId);
}

/**
 * The raw HTTP answer to a request Node's parser refused, in the format of the service its bytes name (target
 * header or credential scope; S3 otherwise), with the connection closed after it.
 */
export function parserRefusal(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): Buffer {
  const raw = error.rawPacket?.toString("latin1") ?? "";
  const target = /\r\nx-amz-target:[ \t]*([^\r\n]*)/i.exec(raw)?.[1];
  const scope = /Credential=[^/\s]+\/\d{8}\/[^/\s]+\/([^/\s]+)\//.exec(raw)?.[1];
  const service = (target ? targetPrefixes[target.split(".")[0] ?? ""] : undefined) ?? scope ?? "s3";
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "RequestTimeout", "The request head was not received in time."]
        : [400, "BadRequest", `The request is not valid HTTP (${error.code ?? error.message}).`];
  const answer = protocolError(service, target !== undefined, status, code, message, randomUUID());
  const body = Buffer.from(typeof answer.body === "string" ? answer.body : "");
  const lines = Object.entries({ ...answer.headers, "content-length": body.length, connection: "close" }).map(
    ([name, value]) => `${name}: ${String(value)}`,
  );
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join("\r\n")}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}
