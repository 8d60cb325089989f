import type { ServiceRequest, ServiceResponse } from "../../types.ts";
import type { ServiceError } from "../errors.ts";
import { toXml } from "./xml.ts";

/**
 * The REST protocols (rest-json: Lambda; rest-xml: S3): the operation is named by the method and path, labels
 * of the path are input members, and errors are `x-amzn-ErrorType` + `{Type, Message}` (rest-json) or
 * `<Error><Code/><Message/>…</Error>` (rest-xml).
 */

/** A route: method and path pattern, `{Label}` for one segment, `{Label+}` for the rest of the path. */
export interface HttpRoute {
  method: string;
  path: string;
}

/** The labels of `rawPath` (percent-decoded) when it matches `route`, or undefined. */
export function matchRoute(
  route: HttpRoute,
  method: string,
  rawPath: string,
): Record<string, string> | undefined {
  if (route.method !== method.toUpperCase()) return undefined;
  const pattern = route.path.split("/");
  const segments = rawPath.split("/");
  const labels: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const label = /^\{(\w+)(\+?)\}$/.exec(part);
    if (label?.[2] === "+") {
      const rest = segments.slice(index).join("/");
      if (rest === "") return undefined;
      labels[label[1] as string] = decodeSegment(rest);
      return labels;
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (label) {
      if (segment === "") return undefined;
      labels[label[1] as string] = decodeSegment(segment);
    } else if (segment !== part) return undefined;
  }
  return segments.length === pattern.length || endsInSlash(segments, pattern.length) ? labels : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The request's JSON object body (`{}` when empty); SerializationException for anything else. */
export function jsonObjectBody(
  request: Pick<ServiceRequest, "body">,
  invalid: () => ServiceError,
): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString("utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // not JSON: the same error as a JSON value that is not an object
  }
  throw invalid();
}

/** REST-JSON error (Lambda): type in `x-amzn-ErrorType`, body `{Type, Message}`. */
export function restJsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  fields: Record<string, string> = {},
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": code, ...headers },
    body: JSON.stringify({ ...fields, Type: status >= 500 ? "Service" : "User", Message: message, message }),
  };
}

/**
 * REST-XML error (S3): `<Error><Code/><Message/>…details…<RequestId/></Error>`; HEAD answers carry the status
 * and headers only (no body on HEAD).
 */
export function restXmlError(
  error: Pick<ServiceError, "status" | "code" | "message" | "headers">,
  requestId: string,
  options: { details?: Record<string, string>; isHead?: boolean } = {},
): ServiceResponse {
  const headers: Record<string, string> = {
    ...error.headers,
    "x-amz-request-id": requestId,
    "x-amz-id-2": requestId,
  };
  if (options.isHead) return { status: error.status, headers };
  const body = toXml("Error", {
    Code: error.code,
    Message: error.message,
    ...options.details,
    RequestId: requestId,
    HostId: requestId,
  });
  return { status: error.status, headers: { ...headers, "content-type": "application/xml" }, body };
}

/**
 * A trailing slash after the route is not a segment of its own: the AWS CLI v2 sends ListFunctions to
 * `/2015-03-31/functions/` (its botocore model's requestUri), the SDK v3 to `/2015-03-31/functions`.
 */
function endsInSlash(segments: readonly string[], routeLength: number): boolean {
  return segments.length === routeLength + 1 && segments[routeLength] === "";
}

/**
 * The input members a REST request carries outside its body and path: each query parameter is the member of
 * its own name, or of the name `http.query` binds it to (Smithy's `@httpQuery`; `{ list }` for a repeated
 * one), and each header `http.headers` binds (`@httpHeader`). SigV4's query authentication (`X-Amz-*`) is the
 * request's signature, not a member; a parameter the route itself requires (`/{Bucket}?acl`) is not one either.
 * A parameter no member binds keeps its own name, so the schema refuses it by name instead of dropping it.
 */
export function boundMembers(
  http: { path: string; query?: Record<string, string | { list: string }>; headers?: Record<string, string> },
  request: Pick<ServiceRequest, "query" | "headers">,
): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const bound = new Map<string, { member: string; list: boolean }>();
  for (const [member, binding] of Object.entries(http.query ?? {}))
    bound.set(typeof binding === "string" ? binding : binding.list, {
      member,
      list: typeof binding !== "string",
    });
  const routeKeys = new URLSearchParams(http.path.split("?")[1] ?? "");
  for (const key of new Set(request.query.keys())) {
    if (key.startsWith("X-Amz-") || routeKeys.has(key)) continue;
    const binding = bound.get(key);
    members[binding?.member ?? key] = binding?.list ? request.query.getAll(key) : request.query.get(key);
  }
  for (const [member, header] of Object.entries(http.headers ?? {})) {
    const value = request.headers[header];
    if (value !== undefined) members[member] = Array.isArray(value) ? value.join(",") : value;
  }
  return members;
}
