import { XMLBuilder } from "fast-xml-parser";
import type { ServiceResponse } from "./types.ts";

/**
 * Wire-protocol helpers shared by the services: AWS uses four protocols
 * (REST-XML for S3, JSON 1.0/1.1 for DynamoDB and Logs, REST-JSON for Lambda, Query for IAM/STS).
 */

const xmlBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: false,
});
/** Serializes `{ Root: {...} }` to an XML document with the S3 namespace on the root element. */
export function toXml(rootName: string, body: Record<string, unknown>, namespace?: string): string {
  const root = namespace ? { "@_xmlns": namespace, ...body } : body;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xmlBuilder.build({ [rootName]: root })}`;
}

/** AWS JSON protocol error (DynamoDB, CloudWatch Logs): `{"__type": "...#Code", "message": "..."}`. */
export function jsonError(
  status: number,
  code: string,
  message: string,
  prefix = "com.amazonaws.dynamodb.v20120810",
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": code },
    body: JSON.stringify({ __type: `${prefix}#${code}`, message, Message: message }),
  };
}

/** REST-JSON error (Lambda): type in `x-amzn-ErrorType`, body `{Type, Message}`. */
export function restJsonError(status: number, code: string, message: string): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": code },
    body: JSON.stringify({ Type: status >= 500 ? "Service" : "User", Message: message, message }),
  };
}

/** Query protocol error (IAM, STS). */
export function queryError(
  status: number,
  code: string,
  message: string,
  requestId: string,
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "text/xml" },
    body: toXml("ErrorResponse", {
      Error: { Type: status >= 500 ? "Receiver" : "Sender", Code: code, Message: message },
      RequestId: requestId,
    }),
  };
}

/** Query protocol success: `<XResponse><XResult>…</XResult><ResponseMetadata/></XResponse>`. */
export function queryResponse(
  action: string,
  result: Record<string, unknown>,
  requestId: string,
  namespace: string,
): ServiceResponse {
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body: toXml(
      `${action}Response`,
      { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } },
      namespace,
    ),
  };
}

/** `body` as JSON; `headers` are added to (or replace) the JSON content type. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): ServiceResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** Typed engine error a service throws; the service's own protocol turns it into a response. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ServiceError";
  }
}
