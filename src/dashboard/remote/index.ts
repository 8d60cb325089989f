import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { AwsClients } from "../../aws/clients.ts";
import type { ServiceResponse } from "../../engine/types.ts";
import type { Stack } from "../../stack/spec.ts";
import { DashboardError } from "../errors.ts";
import { EventStreamHub } from "../event-stream.ts";
import { FAILED_EVENTS_NOTE } from "../failed-events.ts";
import { FlowModel } from "../flow.ts";
import { checkStackHealth, type HealthReport } from "../health.ts";
import { listRecords } from "../records.ts";
import { createDashboardRoute, type DashboardBackend, type DashboardSource, liveJson } from "../routes.ts";
import { uploadObject } from "../upload.ts";
import { RemoteFeed } from "./feed.ts";

export interface RemoteDashboardOptions {
  /** Clients for the target (an emulator endpoint or real AWS); the caller owns and destroys them. */
  clients: AwsClients;
  stack: Stack;
  /** What the page says it reads from, e.g. "LocalStack at http://localhost:4566". */
  target: { kind: "emulator" | "aws"; label: string };
  /** Allow uploads and re-drives (the caller has confirmed writes to real AWS). */
  writable: boolean;
  /** Poll interval in milliseconds. */
  pollMs: number;
  /** How far back the first poll reads (default 10 minutes, as `pipeline logs --since`). */
  lookbackMs?: number;
  /** Interface to bind (default 127.0.0.1) and port (0 picks a free one). */
  host?: string;
  port: number;
  /** Local build to compare the deployed code with (default dist/function.zip). */
  artifactPath?: string;
  log?: (message: string) => void;
}

/** A running `pipeline ui` server. */
export interface RemoteDashboard {
  readonly url: string;
  readonly port: number;
  readonly feed: RemoteFeed;
  readonly openStreams: number;
  /** Stops polling, ends the event streams and closes the server. */
  close(): Promise<void>;
}

/** The server could not listen (port in use, address not available). */
export class DashboardListenError extends DashboardError {
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DashboardListenError";
    this.code = (options?.cause as { code?: string } | undefined)?.code;
  }
}

const recordLimit = 500;
/** Uploads through the page are images; the engine's edge reads whole bodies too. */
const maxBodyBytes = 64 * 1024 * 1024;
const loopbackNames = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * Serves the dashboard page for a stack that runs elsewhere (LocalStack, another engine, real AWS): the same
 * page and routes as `/_pipeline/` on the engine, at `/` on a local HTTP server, with the flow learned by
 * polling (see RemoteFeed) instead of engine events.
 *
 * @example
 * const ui = await startRemoteDashboard({ clients, stack, target: { kind: "aws", label: "AWS account 1234 in eu-west-1" },
 *   writable: false, pollMs: 1000, port: 0 });
 * // open ui.url; later: await ui.close();
 */
export async function startRemoteDashboard(options: RemoteDashboardOptions): Promise<RemoteDashboard> {
  const { clients, stack } = options;
  const log = options.log ?? (() => {});
  const model = new FlowModel({ bucket: stack.bucket, logGroup: stack.logGroupName, maxRows: 200 });
  const hub = new EventStreamHub();
  const feed = new RemoteFeed({
    clients,
    stack,
    model,
    hub,
    pollMs: options.pollMs,
    lookbackMs: options.lookbackMs ?? 10 * 60_000,
    log,
    exactCounts: options.target.kind === "emulator",
  });
  // Thumbnails load from wherever presigned GETs point (the emulator, or the bucket's S3 host on AWS).
  const imageOrigin = new URL(
    await getSignedUrl(clients.s3, new GetObjectCommand({ Bucket: stack.bucket, Key: "probe" }), {
      expiresIn: 60,
    }),
  ).origin;
  const source: DashboardSource = {
    kind: options.target.kind,
    label: options.target.label,
    writable: options.writable,
    pollMs: options.pollMs,
    failedNote: FAILED_EVENTS_NOTE,
  };
  let healthInFlight: Promise<HealthReport> | undefined;
  const backend: DashboardBackend = {
    stack,
    source: () => source,
    imageOrigin: () => imageOrigin,
    rows: () => model.rows(),
    health: () => {
      healthInFlight ??= checkStackHealth(clients, stack, { artifactPath: options.artifactPath }).finally(
        () => {
          healthInFlight = undefined;
        },
      );
      return healthInFlight;
    },
    records: () => listRecords(clients, stack, { limit: recordLimit }),
    logs: async () => ({ group: stack.logGroupName, events: feed.recentLogs() }),
    failed: () => feed.failed(),
    upload: (file) => uploadObject(clients, stack, file),
    redrive: (id) => feed.redrive(id),
  };
  let closed = false;
  const route = createDashboardRoute({
    backend,
    hub,
    prefix: "",
    closed: () => closed,
    log,
    now: Date.now,
  });

  const host = options.host ?? "127.0.0.1";
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (request, response) => {
    serve(request, response, route, host).catch((error: unknown) => {
      log(`ui: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end("internal error");
    });
  });
  const port = await listen(server, host, options.port);
  feed.start();
  const shownHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    feed,
    get openStreams() {
      return hub.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      await feed.stop();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new DashboardListenError(
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is in use (pick another with --port, or 0 for a free one)`
        : `cannot listen on ${host}:${port}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return (server.address() as AddressInfo).port;
}

/**
 * Whether a request's Host names this server. The dashboard holds the target's credentials: a page on another
 * site that rebinds its DNS name to 127.0.0.1 must not read through them.
 */
function hostAllowed(request: IncomingMessage, boundHost: string): boolean {
  if (boundHost === "0.0.0.0" || boundHost === "::") return true;
  const name = (request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  return loopbackNames.has(name) || name === boundHost.toLowerCase();
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  route: (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>,
  boundHost: string,
): Promise<void> {
  const head = request.method === "HEAD";
  if (!hostAllowed(request, boundHost)) {
    return send(response, liveJson({ error: "unexpected Host header" }, 421), head);
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  let body = Buffer.alloc(0);
  if (request.method === "POST") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) {
        return send(response, liveJson({ error: "the upload is too large" }, 413), head);
      }
      chunks.push(chunk as Buffer);
    }
    body = Buffer.concat(chunks);
  }
  send(response, await route(request, url, body), head);
}

function send(response: ServerResponse, result: ServiceResponse, head: boolean): void {
  response.writeHead(result.status, result.headers);
  const body = result.body;
  if (body instanceof Readable) {
    if (head) {
      body.destroy();
      response.end();
      return;
    }
    response.once("close", () => body.destroy());
    body.pipe(response);
    return;
  }
  response.end(head ? undefined : body);
}
