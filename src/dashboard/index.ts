import type { IncomingMessage } from "node:http";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../aws/clients.ts";
import type { EngineContext } from "../engine/context.ts";
import type { Edge, InternalRoute } from "../engine/edge.ts";
import type { ObjectCreatedEvent, ServiceResponse } from "../engine/types.ts";
import { defineStack, type Stack } from "../stack/spec.ts";
import { DashboardRequestError } from "./errors.ts";
import { EventStreamHub, sseFrame } from "./event-stream.ts";
import { failedEventViews } from "./failed-events.ts";
import { FlowModel, type FlowUpdate } from "./flow.ts";
import { checkStackHealth, type HealthReport } from "./health.ts";
import { recentLogEvents } from "./log-feed.ts";
import { renderPage } from "./page.ts";
import { listRecords } from "./records.ts";
import { uploadObject } from "./upload.ts";

/** URL prefix of the dashboard on the engine's edge. */
export const DASHBOARD_PREFIX = "/_pipeline";

export interface DashboardOptions {
  /** The stack the panels read; default `defineStack()`. */
  stack?: Stack;
  /** Local build to compare the deployed code with (default dist/function.zip). */
  artifactPath?: string;
  /** Flow rows kept in memory (default 200). */
  maxRows?: number;
}

/** A registered dashboard; `close()` ends its event streams and listeners (call it on engine stop). */
export interface Dashboard {
  readonly url: string;
  /** Open Server-Sent Events streams. */
  readonly openStreams: number;
  close(): void;
}

/** POSTs must carry this header: a cross-site form or `fetch` cannot send it without a CORS preflight. */
const csrfHeader = "x-pipeline-dashboard";
const logLimit = 300;
const recordLimit = 500;

const now = () => performance.timeOrigin + performance.now();

/**
 * The dashboard currently serving each edge. The edge cannot drop a route, so the route is added once and
 * calls whichever dashboard registered last: registering again (a test with its own options on an engine
 * that already has one) replaces and closes the previous one instead of being shadowed by it.
 */
const current = new WeakMap<Edge, { route: InternalRoute; dashboard: Dashboard }>();

const json = (status: number, data: unknown): ServiceResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  body: JSON.stringify(data),
});

/**
 * Serves the live pipeline dashboard at `/_pipeline/` on the engine's edge: stack health, the flow timeline
 * (pushed over Server-Sent Events at `/_pipeline/events`), records with thumbnails, function logs, failed
 * events with re-drive, and uploads. Reads go through the AWS APIs with admin credentials, like a user would.
 *
 * @example
 * const engine = await startEngine({ port: 0 });
 * const dashboard = registerDashboard(engine.edge, engine.context, { stack: defineStack() });
 * // open `${engine.endpoint}/_pipeline/`; on shutdown: dashboard.close(); await engine.stop();
 */
export function registerDashboard(
  edge: Edge,
  context: EngineContext,
  options: DashboardOptions = {},
): Dashboard {
  const stack = options.stack ?? defineStack({ region: context.region, accountId: context.accountId });
  const model = new FlowModel({
    bucket: stack.bucket,
    logGroup: stack.logGroupName,
    maxRows: options.maxRows ?? 200,
    now,
  });
  const hub = new EventStreamHub();
  let clients: AwsClients | undefined;
  // The endpoint is only known once the edge listens, so clients are made on first use.
  const aws = (): AwsClients => {
    clients ??= createAwsClients({
      endpoint: context.endpoint(),
      region: stack.region,
      credentials: EMULATOR_CREDENTIALS,
    });
    return clients;
  };
  let healthInFlight: Promise<HealthReport> | undefined;
  const health = () => {
    healthInFlight ??= checkStackHealth(aws(), stack, { artifactPath: options.artifactPath }).finally(() => {
      healthInFlight = undefined;
    });
    return healthInFlight;
  };

  const publish = (update: FlowUpdate) => {
    for (const row of update.rows) hub.send("row", { row, at: row.updatedAt });
    if (update.failedChanged) hub.send("failed", { at: now() });
    if (update.recordWritten) hub.send("records", { at: now() });
  };
  const onObjectCreated = (event: ObjectCreatedEvent) => publish(model.objectCreated(event));
  const onActivity = (event: Record<string, unknown>) => {
    const at = now();
    publish(model.activity(event));
    if (event.type === "log" && event.group === stack.logGroupName) {
      hub.send("log", { stream: event.stream, events: event.events, at });
    }
  };
  // Before S3 → Lambda delivery's own listener, so a row exists before its first delivery is queued.
  context.events.prependListener("objectCreated", onObjectCreated);
  context.events.on("activity", onActivity);

  const routes: Record<
    string,
    (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>
  > = {
    "GET /": async () => {
      const page = renderPage({ imageOrigin: new URL(context.endpoint()).origin });
      return { status: 200, headers: page.headers, body: page.html };
    },
    "GET /events": async (request) =>
      hub.open(request, [sseFrame("hello", { rows: model.rows(), stack: stackSummary(stack), at: now() })]),
    "GET /api/flow": async () => json(200, { rows: model.rows() }),
    "GET /api/health": async () => json(200, await health()),
    "GET /api/records": async () => json(200, await listRecords(aws(), stack, { limit: recordLimit })),
    "GET /api/logs": async () =>
      json(200, {
        group: stack.logGroupName,
        events: await recentLogEvents(aws(), stack.logGroupName, { limit: logLimit }),
      }),
    "GET /api/failed": async () =>
      json(200, { events: failedEventViews(context.internal.lambda?.listFailedEvents() ?? []) }),
    "POST /api/upload": async (request, url, body) => {
      const result = await uploadObject(aws(), stack, {
        name: url.searchParams.get("name") ?? "",
        body,
        contentType: request.headers["content-type"],
      });
      return json(201, result);
    },
  };

  const route: InternalRoute = async (request, url, body) => {
    const method = request.method === "HEAD" ? "GET" : (request.method ?? "GET");
    const path = url.pathname.slice(DASHBOARD_PREFIX.length) || "";
    if (path === "") return { status: 308, headers: { location: `${DASHBOARD_PREFIX}/` } };
    if (closed) return json(503, { error: "the dashboard is closed (the engine is stopping)" });
    try {
      if (method === "POST" && request.headers[csrfHeader] !== "1") {
        throw new DashboardRequestError(403, `POST requests need the ${csrfHeader}: 1 header`);
      }
      const redrive = /^\/api\/redrive\/([^/]+)$/.exec(path);
      if (redrive && method === "POST") {
        const id = decodeURIComponent(redrive[1] as string);
        const lambda = context.internal.lambda;
        if (!lambda) throw new DashboardRequestError(503, "the Lambda service is not running");
        if (!lambda.redriveFailedEvent(id)) throw new DashboardRequestError(404, `no failed event ${id}`);
        return json(202, { redriven: id });
      }
      const handler = routes[`${method} ${path}`];
      if (handler) return await handler(request, url, body);
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`)) || redrive;
      throw new DashboardRequestError(
        known ? 405 : 404,
        `${method} ${url.pathname} is not a dashboard route`,
      );
    } catch (error) {
      if (error instanceof DashboardRequestError) return json(error.status, { error: error.message });
      context.log(
        `dashboard: ${method} ${path} failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      return json(500, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  };

  let closed = false;
  const dashboard: Dashboard = {
    get url() {
      return `${context.endpoint()}${DASHBOARD_PREFIX}/`;
    },
    get openStreams() {
      return hub.size;
    },
    close() {
      if (closed) return;
      closed = true;
      context.events.off("objectCreated", onObjectCreated);
      context.events.off("activity", onActivity);
      hub.close();
      clients?.destroy();
      clients = undefined;
    },
  };
  const previous = current.get(edge);
  current.set(edge, { route, dashboard });
  if (previous) previous.dashboard.close();
  else {
    edge.addInternalRoute(DASHBOARD_PREFIX, (request, url, body) => {
      const serving = current.get(edge);
      return serving
        ? serving.route(request, url, body)
        : Promise.resolve(json(404, { error: "no dashboard" }));
    });
  }
  return dashboard;
}

function stackSummary(stack: Stack) {
  return {
    bucket: stack.bucket,
    table: stack.table,
    functionName: stack.functionName,
    logGroup: stack.logGroupName,
    uploadPrefix: stack.uploadPrefix,
    region: stack.region,
  };
}
