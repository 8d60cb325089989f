import type { IncomingMessage } from "node:http";
import type { InternalRoute } from "../engine/edge.ts";
import { jsonResponse } from "../engine/service/index.ts";
import type { ServiceResponse } from "../engine/types.ts";
import type { FailedEvent } from "../pipeline/failed-events.ts";
import type { LogEvent } from "../pipeline/logs.ts";
import type { Stack } from "../stack/spec.ts";
import { CSRF_HEADER } from "./csrf.ts";
import { DashboardRequestError } from "./errors.ts";
import { type EventStreamHub, sseFrame } from "./event-stream.ts";
import type { FlowRow, FlowUpdate } from "./flow.ts";
import type { HealthReport } from "./health.ts";
import { renderPage } from "./page.ts";
import { HEALTH_API } from "./paths.ts";
import type { RecordsPage } from "./records.ts";
import type { UploadResult } from "./upload.ts";

/** Where a dashboard reads from, as the page shows it. */
export interface DashboardSource {
  /** `engine`: hosted by the engine, fed by its events; `emulator` or `aws`: read through the APIs by polling. */
  kind: "engine" | "emulator" | "aws";
  /** Human description: "embedded engine at http://…", "AWS account 1234… in eu-west-1". */
  label: string;
  /** Uploads and re-drives are allowed; otherwise the page is read-only and POSTs are refused. */
  writable: boolean;
  /** How often the target is polled, when changes are learned by polling (absent when pushed live). */
  pollMs?: number;
  /** What the failed-events panel lists and what its re-drive does, in one sentence. */
  failedNote?: string;
}

/**
 * What a dashboard serves, whoever hosts it: the engine (events pushed in-process) or `pipeline ui` (the same
 * panels read through the AWS APIs of LocalStack, another engine or real AWS).
 */
export interface DashboardBackend {
  readonly stack: Stack;
  source(): DashboardSource;
  /** Origin of the thumbnails' presigned URLs, which the page's CSP must allow. */
  imageOrigin(): string;
  rows(): FlowRow[];
  health(): Promise<HealthReport>;
  records(): Promise<RecordsPage>;
  logs(): Promise<{ group: string; events: LogEvent[] }>;
  failed(): Promise<FailedEvent[]>;
  upload(file: { name: string; body: Buffer; contentType?: string }): Promise<UploadResult>;
  /** Re-drives one failed event; throws a DashboardRequestError (404) when there is none with that id. */
  redrive(id: string): Promise<void>;
}

const liveJsonHeaders = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** The engine's JSON response, not cached: every panel shows live state. */
export function liveJson(body: unknown, status = 200): ServiceResponse {
  return jsonResponse(body, status, liveJsonHeaders);
}

/** The names the page shows in its header. */
export function stackSummary(stack: Stack) {
  return {
    bucket: stack.bucket,
    table: stack.table,
    functionName: stack.functionName,
    logGroup: stack.logGroupName,
    uploadPrefix: stack.uploadPrefix,
    region: stack.region,
  };
}

/** Pushes what one flow-model update changed to the open pages. */
export function publishFlowUpdate(hub: EventStreamHub, update: FlowUpdate, now: () => number): void {
  for (const row of update.rows) hub.send("row", { row, at: row.updatedAt }, row.id);
  if (update.failedChanged) hub.send("failed", { at: now() }, "");
  if (update.recordWritten) hub.send("records", { at: now() }, "");
}

export interface DashboardRouteOptions {
  backend: DashboardBackend;
  /** Server-Sent Events streams; the host pushes `row`, `log`, `records` and `failed` events into it. */
  hub: EventStreamHub;
  /** URL path the page lives under: `/_pipeline` on the engine, empty for `pipeline ui`. */
  prefix: string;
  /** True once the host is stopping. */
  closed(): boolean;
  log(message: string): void;
  now(): number;
}

type Handler = (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>;

/**
 * The dashboard's HTTP routes (page, event stream, JSON API) over a backend, as one request handler that the
 * engine's edge and `pipeline ui`'s own server both mount.
 */
export function createDashboardRoute(options: DashboardRouteOptions): InternalRoute {
  const { backend, hub, prefix } = options;
  const routes: Record<string, Handler> = {
    "GET /": async () => {
      const page = await renderPage({
        imageOrigin: backend.imageOrigin(),
        writable: backend.source().writable,
      });
      return { status: 200, headers: page.headers, body: page.html };
    },
    "GET /events": async (request) =>
      hub.open(request, [
        sseFrame("hello", {
          rows: backend.rows(),
          stack: stackSummary(backend.stack),
          source: backend.source(),
          at: options.now(),
        }),
      ]),
    "GET /api/flow": async () => liveJson({ rows: backend.rows() }),
    "GET /api/source": async () => liveJson(backend.source()),
    [`GET ${HEALTH_API}`]: async () => liveJson(await backend.health()),
    "GET /api/records": async () => liveJson(await backend.records()),
    "GET /api/logs": async () => liveJson(await backend.logs()),
    "GET /api/failed": async () => liveJson({ events: await backend.failed() }),
    "POST /api/upload": async (request, url, body) => {
      const contentType = request.headers["content-type"];
      const result = await backend.upload({
        name: url.searchParams.get("name") ?? "",
        body,
        ...(contentType ? { contentType } : {}),
      });
      return liveJson(result, 201);
    },
  };

  return async (request, url, body) => {
    const method = request.method === "HEAD" ? "GET" : (request.method ?? "GET");
    const path = url.pathname.slice(prefix.length) || "";
    if (path === "") return { status: 308, headers: { location: `${prefix}/` } };
    if (options.closed()) return liveJson({ error: "the dashboard is closed (its server is stopping)" }, 503);
    try {
      if (method === "POST") {
        if (request.headers[CSRF_HEADER] !== "1") {
          throw new DashboardRequestError(403, `POST requests need the ${CSRF_HEADER}: 1 header`);
        }
        if (!backend.source().writable) {
          throw new DashboardRequestError(
            403,
            "this dashboard is read-only: start pipeline ui without --read-only (on AWS: with --allow-writes) to upload and re-drive",
          );
        }
      }
      const redrive = /^\/api\/redrive\/([^/]+)$/.exec(path);
      if (redrive && method === "POST") {
        const id = decodeURIComponent(redrive[1] as string);
        await backend.redrive(id);
        return liveJson({ redriven: id }, 202);
      }
      const handler = routes[`${method} ${path}`];
      if (handler) return await handler(request, url, body);
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`)) || redrive;
      throw new DashboardRequestError(
        known ? 405 : 404,
        `${method} ${url.pathname} is not a dashboard route`,
      );
    } catch (error) {
      if (error instanceof DashboardRequestError) return liveJson({ error: error.message }, error.status);
      options.log(
        `dashboard: ${method} ${path} failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      return liveJson(
        {
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        },
        500,
      );
    }
  };
}
