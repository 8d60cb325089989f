import type { IncomingHttpHeaders } from "node:http";
import type { ServiceResponse } from "../../types.ts";
import { ServiceError } from "../errors.ts";

/**
 * The AWS JSON protocols (1.0: DynamoDB, SQS; 1.1: CloudWatch Logs): the operation is named by
 * `X-Amz-Target: <prefix>.<Operation>`, the input is the JSON body, the output a JSON object, and errors are
 * `{"__type": "<namespace>#<Code>", "message": "..."}`.
 */

/** The operation an `X-Amz-Target` names after one of `prefixes`; `""` when the target is for another prefix. */
export function operationFromTarget(target: string, prefixes: readonly string[]): string {
  for (const prefix of prefixes)
    if (target.startsWith(prefix) && target.charCodeAt(prefix.length) === 46)
      return target.slice(prefix.length + 1);
  return "";
}

/**
 * Whether a request to an endpoint that speaks both JSON and query (SQS) is JSON: a JSON content type says so,
 * a form content type says query (as LocalStack's service router decides by content type), and without either
 * an `X-Amz-Target` means JSON.
 */
export function speaksJson(headers: IncomingHttpHeaders): boolean {
  const contentType = String(headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith("application/x-amz-json")) return true;
  if (contentType.startsWith("application/x-www-form-urlencoded")) return false;
  const target = headers["x-amz-target"];
  return typeof target === "string" && target !== "";
}

/** JSON nesting the engine reads at most: far beyond any AWS input (DynamoDB allows 32 levels of attributes). */
export const MAX_JSON_DEPTH = 512;

/**
 * Whether a JSON text nests deeper than `max` (objects and arrays, outside strings), scanned without parsing:
 * a body nested thousands deep overflows the stack of whatever walks it recursively (a schema check, the
 * DynamoDB backend's validator), so it is refused before anything parses it. Pure.
 */
export function jsonNestsDeeperThan(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === 0x5c) index++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth++;
      if (depth > max) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

/** The body as a JSON object (`{}` when empty); SerializationException when it is not one. */
export function decodeJsonBody(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ServiceError(400, "SerializationException", "Request body is not valid JSON", { cause: error });
  }
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
    return parsed as Record<string, unknown>;
  throw new ServiceError(400, "SerializationException", "Request body is not a JSON object");
}

/** A JSON-protocol answer: the output object with the protocol's content type. */
export function jsonOutput(output: unknown, version: "1.0" | "1.1"): ServiceResponse {
  return {
    status: 200,
    headers: { "content-type": `application/x-amz-json-${version}` },
    body: JSON.stringify(output ?? {}),
  };
}

/** AWS JSON protocol error: `{"__type": "<prefix>#<Code>", "message": "..."}` (and `Message`, which SDKs also read). */
export function jsonError(
  status: number,
  code: string,
  message: string,
  prefix = "com.amazonaws.dynamodb.v20120810",
  headers: Record<string, string> = {},
  version: "1.0" | "1.1" = "1.0",
): ServiceResponse {
  return {
    status,
    headers: { "content-type": `application/x-amz-json-${version}`, "x-amzn-errortype": code, ...headers },
    body: JSON.stringify({ __type: `${prefix}#${code}`, message, Message: message }),
  };
}

/**
 * A ServiceError in the JSON protocol, with `x-amzn-query-error` when the query code differs; `fullErrorType`:
 * `x-amzn-errortype` carries the whole shape id, as `__type` does (SQS).
 */
export function renderJsonError(
  error: ServiceError,
  prefix: string,
  fullErrorType = false,
  version: "1.0" | "1.1" = "1.0",
): ServiceResponse {
  const typePrefix = error.typePrefix ?? prefix;
  const queryError: Record<string, string> =
    error.queryCode === undefined ? {} : { "x-amzn-query-error": `${error.queryCode};${error.fault}` };
  const errorType: Record<string, string> = fullErrorType
    ? { "x-amzn-errortype": `${typePrefix}#${error.code}` }
    : {};
  return jsonError(
    error.status,
    error.code,
    error.message,
    typePrefix,
    { ...queryError, ...errorType, ...error.headers },
    version,
  );
}

/** `body` as plain JSON (`application/json`, REST-JSON and the engine's own routes); `headers` add or replace. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): ServiceResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}
