import { createAwsClients } from "../aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../aws/clients.ts";
import type { ActivityEvent } from "../engine/activity.ts";
import type { Edge, InternalRoute } from "../engine/edge.ts";
import type { EnginePlugin, EnginePluginHost } from "../engine/plugin.ts";
import type { ObjectCreatedEvent } from "../engine/types.ts";
import { describeFaults } from "../pipeline/fault-summary.ts";
import { defineStack, type Stack, type StackSettings } from "../stack/spec.ts";
import { EventStreamHub } from "./event-stream.ts";
import { FAILED_EVENTS_NOTE, onFailureQueueSource } from "./failed-events.ts";
import { FlowModel, type FlowUpdate } from "./flow.ts";
import { checkStackHealth, type HealthReport } from "./health.ts";
import { recentLogEvents } from "./log-feed.ts";
import { DASHBOARD_PREFIX } from "./paths.ts";
import { listRecords } from "./records.ts";
import { createDashboardRoute, type DashboardBackend, liveJson, publishFlowUpdate } from "./routes.ts";

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

const logLimit = 300;
const recordLimit = 500;

const now = () => performance.timeOrigin + performance.now();

/**
 * The dashboard currently serving each edge. The edge cannot drop a route, so the route is added once and
 * calls whichever dashboard registered last: registering again (a test with its own options on an engine
 * that already has one) replaces and closes the previous one instead of being shadowed by it.
 */
const current = new WeakMap<Edge, { route: InternalRoute; dashboard: Dashboard }>();

/**
 * Serves the live pipeline dashboard at `/_pipeline/` on the engine's edge: stack health, the flow timeline
 * (pushed over Server-Sent Events at `/_pipeline/events`), records with thumbnails, function logs, failed
 * events with re-drive, and uploads. Reads go through the AWS APIs with admin credentials, like a user would.
 *
 * @example
 * const engine = await startEngine({ port: 0 });
 * const dashboard = registerDashboard(engine, { stack: defineStack() });
 * // open `${engine.endpoint}/_pipeline/`; on shutdown: dashboard.close(); await engine.stop();
 */
export function registerDashboard(
  { edge, context, apis }: EnginePluginHost,
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
  // The engine's own SQS counts its queues exactly (sqs/store.ts).
  const failedEvents = onFailureQueueSource(aws, stack, { exactCounts: true });
  let healthInFlight: Promise<HealthReport> | undefined;
  const health = () => {
    healthInFlight ??= checkStackHealth(aws(), stack, {
      artifactPath: options.artifactPath,
      runtime: apis.lambda.runtimes()[stack.runtime],
      faults: describeFaults(context.faults.options),
    }).finally(() => {
      healthInFlight = undefined;
    });
    return healthInFlight;
  };

  const publish = (update: FlowUpdate) => publishFlowUpdate(hub, update, now);
  const onObjectCreated = (event: ObjectCreatedEvent) => publish(model.objectCreated(event));
  const onActivity = (event: ActivityEvent) => {
    const at = now();
    publish(model.activity(event));
    if (event.kind === "log" && event.group === stack.logGroupName) {
      hub.send("log", { stream: event.stream, events: event.events, at });
    }
    // The failed event is in the on-failure queue only once Lambda's send completes, after `async.failed`.
    if (event.kind === "async.destination" && event.functionName === stack.functionName) {
      hub.send("failed", { at });
    }
  };
  // Before S3 → Lambda delivery's own listener, so a row exists before its first delivery is queued.
  context.events.prependListener("objectCreated", onObjectCreated);
  context.events.on("activity", onActivity);

  const backend: DashboardBackend = {
    stack,
    source: () => ({
      kind: "engine",
      label: `embedded engine at ${context.endpoint()}`,
      writable: true,
      failedNote: FAILED_EVENTS_NOTE,
    }),
    imageOrigin: () => new URL(context.endpoint()).origin,
    rows: () => model.rows(),
    health,
    records: () => listRecords(aws(), stack, { limit: recordLimit }),
    logs: async () => ({
      group: stack.logGroupName,
      events: await recentLogEvents(aws(), stack.logGroupName, { limit: logLimit }),
    }),
    failed: () => failedEvents.failed(),
    // Loaded on the first upload: its MIME table (mime-db, ~0.2 MB of source) is not worth `up`'s start.
    upload: async (file) => (await import("./upload.ts")).uploadObject(aws(), stack, file),
    // The re-drive's invocation reaches the flow through the engine's own events and log lines.
    redrive: async (id) => {
      await failedEvents.redrive(id);
    },
  };
  let closed = false;
  const route = createDashboardRoute({
    backend,
    hub,
    prefix: DASHBOARD_PREFIX,
    closed: () => closed,
    log: (message) => context.log(message),
    now,
  });

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
        : Promise.resolve(liveJson({ error: "no dashboard" }, 404));
    });
  }
  return dashboard;
}

/** Options of `dashboardPlugin`: the dashboard's, with the stack given by its names. */
export interface DashboardPluginOptions extends Omit<DashboardOptions, "stack"> {
  /** Names of the stack the panels show (defaults from src/stack/spec.ts); region and account are the engine's. */
  stack?: Partial<StackSettings>;
}

/**
 * The dashboard as an engine plugin: `registerDashboard` on start, `close()` on engine stop.
 *
 * @example
 * const engine = await startEngine({ port: 0, plugins: [dashboardPlugin({ stack: defineStack() })] });
 * // open `${engine.endpoint}/_pipeline/`
 */
export function dashboardPlugin(options: DashboardPluginOptions = {}): EnginePlugin {
  const { stack, ...rest } = options;
  return {
    name: "dashboard",
    start: (host) => {
      const { context } = host;
      // The dashboard resolves its clients on first use, so it may register before the edge listens.
      const dashboard = registerDashboard(host, {
        ...rest,
        stack: defineStack({ ...stack, region: context.region, accountId: context.accountId }),
      });
      return { stop: () => dashboard.close() };
    },
  };
}
