import { decodeS3EventKey } from "../events/s3-event.ts";
import type { Edge } from "./edge.ts";
import type { FailedEvent, LambdaInvokeApi } from "./lambda/contract.ts";
import { jsonResponse } from "./service/index.ts";

/**
 * The engine's control API: what the CLI (and scripts) ask of the engine itself rather than of an AWS service.
 * It is the engine's own, served whether or not a dashboard is mounted; LocalStack has no such list, so a client
 * treats a non-2xx answer as "this endpoint keeps no failed-event list".
 *
 * - `GET  /_pipeline/control/failed-events` → 200 `{ events: FailedEventView[] }`, newest failure first
 * - `POST /_pipeline/control/failed-events/<id>/redrive` with `x-pipeline-control: 1` → 202 `{ redriven: id }`;
 *   404 when there is no failed event with that id
 *
 * Errors answer `{ error: "<one line>" }` with a 4xx/5xx status.
 */
export const CONTROL_PREFIX = "/_pipeline/control";

/** POSTs must carry this header (value `1`): a cross-site form or `fetch` cannot send it without a CORS preflight. */
export const CONTROL_HEADER = "x-pipeline-control";

/** A failed asynchronous invocation as the control API lists it: the payload replaced by its object keys. */
export type FailedEventView = Omit<FailedEvent, "payload"> & {
  /** Object keys named by the event's records (decoded), to tell which upload failed. */
  keys: string[];
};

/** A control request the engine refuses; `status` is the HTTP status the caller gets. */
class ControlRequestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ControlRequestError";
    this.status = status;
  }
}

/** The object keys of an S3 event payload, decoded (a malformed escape is kept as it is), or none for other shapes. */
export function eventObjectKeys(payload: unknown): string[] {
  const records = (payload as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((record) => {
    const key = (record as { s3?: { object?: { key?: unknown } } } | null)?.s3?.object?.key;
    if (typeof key !== "string") return [];
    try {
      return [decodeS3EventKey(key)];
    } catch {
      return [key];
    }
  });
}

/** Maps the Lambda service's failed events (oldest first) to views, newest failure first. */
export function failedEventViews(events: FailedEvent[]): FailedEventView[] {
  return events.map(({ payload, ...event }) => ({ ...event, keys: eventObjectKeys(payload) })).reverse();
}

/** Where the control API finds failed events: Lambda's typed API. */
export type FailedEventSource = Pick<LambdaInvokeApi, "listFailedEvents" | "redriveFailedEvent">;

/** The failed asynchronous invocations the engine keeps, newest failure first. */
function listFailedEvents(lambda: FailedEventSource): FailedEventView[] {
  return failedEventViews(lambda.listFailedEvents());
}

/** Queues a failed event for asynchronous invocation again; a ControlRequestError (404) when there is none. */
function redriveFailedEvent(lambda: FailedEventSource, id: string): void {
  if (!lambda.redriveFailedEvent(id)) throw new ControlRequestError(404, `no failed event ${id}`);
}

/** Mounts the control API on the edge at CONTROL_PREFIX. */
export function registerControlRoutes(edge: Edge, lambda: FailedEventSource): void {
  edge.addInternalRoute(CONTROL_PREFIX, async (request, url) => {
    const method = request.method === "HEAD" ? "GET" : (request.method ?? "GET");
    const path = url.pathname.slice(CONTROL_PREFIX.length);
    try {
      if (path === "/failed-events" || path === "/failed-events/") {
        if (method !== "GET") throw new ControlRequestError(405, `${method} ${url.pathname} is not allowed`);
        return jsonResponse({ events: listFailedEvents(lambda) });
      }
      const redrive = /^\/failed-events\/([^/]+)\/redrive$/.exec(path);
      if (redrive) {
        if (method !== "POST") throw new ControlRequestError(405, `${method} ${url.pathname} is not allowed`);
        if (request.headers[CONTROL_HEADER] !== "1")
          throw new ControlRequestError(403, `POST requests need the ${CONTROL_HEADER}: 1 header`);
        const id = decodeURIComponent(redrive[1] as string);
        redriveFailedEvent(lambda, id);
        return jsonResponse({ redriven: id }, 202);
      }
      throw new ControlRequestError(404, `${method} ${url.pathname} is not a control route`);
    } catch (error) {
      if (error instanceof ControlRequestError) return jsonResponse({ error: error.message }, error.status);
      if (error instanceof URIError) return jsonResponse({ error: `malformed id in ${url.pathname}` }, 400);
      throw error;
    }
  });
}
