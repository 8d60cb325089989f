import type { ServiceRequest, ServiceResponse } from "../types.ts";

/**
 * Small readers shared by the wrappers around the DynamoDB backend (tags, the item of a failed condition): a
 * request body as a JSON object, a backend answer as JSON, and a request of another operation beside the caller's.
 */

/** The body as a JSON object, or undefined when it is not one (the backend then answers in its own words). */
export function requestObject(body: Buffer): Record<string, unknown> | undefined {
  return jsonObject(body.toString("utf8"));
}

/** A backend answer's JSON body; {} for anything else (a streamed or unparsable body). */
export function responseJson(response: ServiceResponse): Record<string, unknown> {
  const { body } = response;
  // dynalite's answers are strings (the edge writes them as they are): parsed as they are, not copied to bytes first.
  if (typeof body === "string") return jsonObject(body) ?? {};
  return Buffer.isBuffer(body) ? (requestObject(body) ?? {}) : {};
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A request to the backend beside the caller's: same signature headers, another operation and input. */
export function backendCall(request: ServiceRequest, operation: string, input: unknown): ServiceRequest {
  return {
    ...request,
    headers: { ...request.headers, "x-amz-target": `DynamoDB_20120810.${operation}` },
    body: Buffer.from(JSON.stringify(input)),
  };
}
