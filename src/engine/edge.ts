import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Duplex, Readable } from "node:stream";
import type { EngineContext } from "./context.ts";
import {
  type HeadNames,
  internalFailure,
  isUnsignedQuery,
  parserRefusal,
  protocolError,
  RefusedHeadScan,
  type Route,
  routeRequest,
  throttled,
  unsignedQueryLimit,
} from "./edge-protocol.ts";
import { nodeHttp } from "./node-http.ts";
import {
  checkBrowserOrigin,
  corsHeaders,
  type GuardSettings,
  isAllowedHost,
  isStateChangingGet,
} from "./request-guard.ts";
import { newRequestId } from "./request-id.ts";
import { internalRequestBytes, type RequestBudget, type Reservation } from "./request-limits.ts";
import { parseRequestTarget } from "./request-target.ts";
import { parseQueryForm, type QueryForm, renderQueryError, repeatedParameterError } from "./service/index.ts";
import type { ServiceRegistry } from "./service/registry.ts";
import { type BufferedBody, credentialRefusal, operationOfHead } from "./service/section.ts";
import { parseSigV4Scope } from "./sigv4.ts";
import type { RequestHead, Service, ServiceRequest, ServiceResponse } from "./types.ts";

/** A handler for engine-internal paths such as `/_localstack/health` or `/_pipeline/...`. */
export type InternalRoute = (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>;

export interface EdgeSettings {
  guard: GuardSettings;
  /** A client must send its whole request head within this time (slow-header attacks). */
  headersTimeoutMs: number;
  /**
   * A request body that sends no byte for this long is abandoned and its connection closed; so is an answer its
   * client reads no byte of for this long.
   */
  bodyIdleTimeoutMs: number;
  /** Buffered request bytes in flight across all requests, at most (beyond: each service's throttling error). */
  budget: RequestBudget;
  /** The services' declarations (their service-level sections): all the edge knows about any service. */
  registry: ServiceRegistry;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000;

/**
 * After an early answer (a body too large, a PUT refused before its body), the rest of the body is read and
 * dropped for at most this long and this many bytes, so the client, still sending, reads the answer instead of
 * a reset; then the connection is closed.
 */
const DISCARD_MS = 2_000;
const DISCARD_BYTES = 16 * 1024 * 1024;

/**
 * How long the edge reads on a head the parser refused before a line names its service: the rest of a head
 * sent at once follows within milliseconds; a client that stalls gets the fallback service's format.
 */
const REFUSED_HEAD_WAIT_MS = 1_000;

/**
 * One request as the edge answers it: kept per connection for the request whose head was read last (a parser
 * refusal of its body takes its route), and handed to the answer helpers. Those are methods taking this record, not
 * closures made per request: run from source, tsx (keepNames) defines a `name` on every named closure as it is
 * made, which cost about 8% of a small S3 GET's CPU (docs/benchmarks.md, thirteenth session).
 */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  /** The route taken so far (an unsigned query request may be routed again by its Version). */
  route: Route;
  requestId: string;
  isHead: boolean;
}

/**
 * Raised while reading a body: too large for its operation, stalled past the idle timeout, beyond the engine's
 * budget of buffered bytes, or cut off by the client.
 */
class BodyReadError extends Error {
  readonly kind: "too-large" | "stalled" | "throttled" | "aborted";

  constructor(kind: "too-large" | "stalled" | "throttled" | "aborted", message: string) {
    super(message);
    this.kind = kind;
    this.name = "BodyReadError";
  }
}

/**
 * The single HTTP endpoint every client talks to, as LocalStack's port 4566: routes a request to a service by
 * the SigV4 credential scope, then `X-Amz-Target`, then path; S3 takes whatever is left (browsers, presigned URLs).
 * Before any body byte is read it checks the Host (421 for names that are not this engine), the page a browser
 * request comes from (403 unless allowed) and state-changing GETs; bodies are then read up to their operation's
 * limit, or streamed (S3 object writes).
 */
export class Edge {
  readonly #services = new Map<string, Service>();
  readonly #internal: Array<{ prefix: string; route: InternalRoute }> = [];
  /** What every internal prefix starts with (none registered yet: a string no path starts with). */
  #internalCommon = "\u0000";
  /** The Host header last found allowed (the guard's hosts do not change while the engine runs). */
  #allowedHost: string | undefined;
  readonly #context: EngineContext;
  readonly #settings: EdgeSettings;
  #server: Server | undefined;
  #port = 0;
  /** Per connection: its request in flight (a body whose framing fails is refused in that request's format). */
  readonly #inFlight = new WeakMap<Duplex, Exchange>();
  /** Per connection refused by the parser: its head as read so far, or that it has been answered. */
  readonly #refusals = new WeakMap<Duplex, RefusedHeadScan | "answered">();

  constructor(context: EngineContext, settings: EdgeSettings) {
    this.#context = context;
    this.#settings = settings;
    // One listener of each kind for every request (its emitter is `this`), not two closures made per request.
    const log = (where: string, request: IncomingMessage, error: Error) =>
      context.log(`edge: ${where} error on ${request.method} ${request.url}: ${error.message}`);
    this.#onRequestError = function (this: IncomingMessage, error: Error) {
      log("request", this, error);
    };
    this.#onResponseError = function (this: ServerResponse, error: Error) {
      log("response", this.req, error);
    };
    // A body that sent nothing for the idle timeout. The connection's timeout watches one body at a time, the one
    // read last: pipelined requests end (and close) while a later one's body is read, and must not disarm it.
    const watched = this.#watchedBody;
    const idleMs = settings.bodyIdleTimeoutMs;
    this.#onSocketTimeout = function (this: Socket) {
      const request = watched.get(this);
      // Not a body's timeout (Node's keep-alive timeout uses the same timer): Node closes the socket itself.
      if (request === undefined) return;
      request.destroy(new BodyReadError("stalled", `no body data for ${idleMs / 1000} s`));
      this.destroy();
    };
    // An answer still waiting on its client shares the timer: a pipelined body that ends while it is written
    // leaves the timer armed for it.
    const answers = this.#waitingAnswer;
    this.#onBodyDone = function (this: IncomingMessage) {
      const socket = this.socket;
      if (socket === null || watched.get(socket) !== this) return;
      watched.set(socket, undefined);
      const answer = answers.get(socket);
      if (answer === undefined || answer.writableFinished || answer.destroyed) socket.setTimeout(0);
    };
    this.#watchAnswer = (response: ServerResponse) => {
      const socket = response.socket;
      if (socket === null) return;
      answers.set(socket, response);
      response.setTimeout(idleMs, closeUnreadAnswer);
    };
  }

  readonly #onRequestError: (this: IncomingMessage, error: Error) => void;
  readonly #onResponseError: (this: ServerResponse, error: Error) => void;
  /**
   * Per connection whose timeout has watched a body: the request whose body it watches now (undefined between
   * bodies). The connection's `timeout` listener is added once, with its first entry.
   */
  readonly #watchedBody = new WeakMap<Socket, IncomingMessage | undefined>();
  readonly #onSocketTimeout: (this: Socket) => void;
  readonly #onBodyDone: (this: IncomingMessage) => void;
  /** Per connection: the answer last left waiting on its client (finished ones are stale entries). */
  readonly #waitingAnswer = new WeakMap<Socket, ServerResponse>();
  /** Gives an answer that waits on its client the connection's timeout (see writeResponse). */
  readonly #watchAnswer: (response: ServerResponse) => void;

  /** Serves `service`; its signing name must be declared in the registry. */
  addService(service: Service): void {
    if (!this.#settings.registry.byName(service.signingName))
      throw new Error(`service ${service.signingName} has no declaration in the engine's registry`);
    this.#services.set(service.signingName, service);
  }

  service(name: string): Service | undefined {
    return this.#services.get(name);
  }

  get services(): string[] {
    return [...this.#services.keys()];
  }

  /** Registers an engine-internal path prefix (longest prefix wins). */
  addInternalRoute(prefix: string, route: InternalRoute): void {
    this.#internal.push({ prefix, route });
    this.#internal.sort((a, b) => b.prefix.length - a.prefix.length);
    let common = prefix;
    for (const other of this.#internal) while (!other.prefix.startsWith(common)) common = common.slice(0, -1);
    this.#internalCommon = common;
  }

  async listen(port: number, host: string): Promise<number> {
    const { headersTimeoutMs } = this.#settings;
    const server = nodeHttp.createServer(
      {
        keepAliveTimeout: 65_000,
        // Whole-request time is not bounded (a 5 GB upload may take minutes); headers and body idleness are.
        requestTimeout: 0,
        headersTimeout: headersTimeoutMs,
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
      },
      (request, response) => this.#serve(request, response),
    );
    server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) =>
      this.#clientError(error, socket),
    );
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  /**
   * A request Node's HTTP parser refused (a head too large, broken chunked framing, a head that came too
   * slowly): answered in the format of its service, so SDKs report a named error, and the connection closed.
   * The parser hands over only the packet it failed on (and each later one, again refused), so a head whose
   * naming lines are still to come is read on, without keeping it, for at most REFUSED_HEAD_WAIT_MS and
   * REFUSED_HEAD_BYTES; a body whose framing failed takes its request's route.
   */
  #clientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
    const refusal = this.#refusals.get(socket);
    if (refusal === "answered") return;
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = (known: Route | HeadNames) => {
      this.#refusals.set(socket, "answered");
      // Closed once the answer is flushed, not half-closed: a client still sending (a head that trickles in)
      // would otherwise keep the connection open past the header timeout.
      socket.end(parserRefusal(this.#settings.registry, error, known), () => socket.destroy());
    };
    if (refusal === undefined) {
      const reading = this.#inFlight.get(socket);
      if (reading !== undefined && !reading.request.complete) {
        answer(reading.route);
        return;
      }
    }
    // A later packet of a head already refused, or the first: read on until it names its service.
    const scan = refusal ?? new RefusedHeadScan();
    scan.feed(error.rawPacket);
    if (scan.settled || error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      answer(scan.names);
      return;
    }
    if (refusal !== undefined) return;
    this.#refusals.set(socket, scan);
    const timer = setTimeout(() => {
      if (this.#refusals.get(socket) === scan && socket.writable) answer(scan.names);
    }, REFUSED_HEAD_WAIT_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * One request, start to end. Whatever goes wrong on its path ends in this request's error response (or, once
   * its answer has begun, in closing its connection), and is logged: nothing a request does reaches the process
   * as an uncaught exception.
   */
  #serve(request: IncomingMessage, response: ServerResponse): void {
    request.on("error", this.#onRequestError);
    response.on("error", this.#onResponseError);
    const reservation = this.#settings.budget.open();
    const exchange: Exchange = {
      request,
      response,
      route: { name: "", section: this.#settings.registry.fallback, protocol: "rest-xml" },
      requestId: newRequestId(),
      isHead: request.method === "HEAD",
    };
    this.#inFlight.set(request.socket, exchange);
    this.#dispatch(exchange, reservation)
      .catch((error: unknown) => {
        this.#context.log(`edge: unhandled error: ${error instanceof Error ? error.stack : String(error)}`);
        if (response.headersSent) {
          response.destroy();
          return;
        }
        return this.#answer(exchange, internalFailure(exchange.route, exchange.requestId));
      })
      .catch((error: unknown) => {
        this.#context.log(`edge: could not answer: ${error instanceof Error ? error.stack : String(error)}`);
        response.destroy();
      })
      .finally(() => reservation.release());
  }

  async #dispatch(exchange: Exchange, reservation: Reservation): Promise<void> {
    const { request, response, requestId } = exchange;
    const rawUrl = request.url ?? "/";
    const target = parseRequestTarget(rawUrl);
    const { guard, registry } = this.#settings;
    // Most requests are for a service: one test of what every internal prefix starts with (`/_`) rules them out.
    const internal = target.pathname.startsWith(this.#internalCommon)
      ? this.#internal.find(({ prefix }) => target.pathname.startsWith(prefix))
      : undefined;
    const scope = parseSigV4Scope(request.headers, target.query);
    const head: RequestHead = {
      method: request.method ?? "GET",
      rawPath: target.rawPath,
      query: target.query,
      headers: request.headers,
      host: request.headers.host ?? "",
    };
    let route: Route = internal
      ? { name: "internal", section: undefined, protocol: "json" }
      : routeRequest(registry, head, scope?.service);
    exchange.route = route;

    // The last Host header found allowed is remembered: a client sends the same one on every request.
    const host = request.headers.host;
    if (host === undefined || host !== this.#allowedHost) {
      if (!isAllowedHost(host, guard)) {
        return this.#refuse(
          exchange,
          421,
          "MisdirectedRequest",
          `This engine does not serve host '${host ?? ""}'`,
        );
      }
      this.#allowedHost = host;
    }
    let service = internal ? undefined : this.#services.get(route.name);
    const verdict = checkBrowserOrigin(request.headers, guard, this.#port);
    const allowedOrigin = verdict.allowed ? verdict.origin : undefined;
    if (!verdict.allowed) {
      // S3 decides, as on AWS: a validly signed presigned object URL or bucket CORS rule; the answer's CORS
      // headers are the bucket's own, never the engine's.
      const exemption = service?.crossOriginAccess?.(head, verdict.origin);
      if (!exemption) {
        this.#context.log(`edge: refused ${head.method} ${target.pathname}: ${verdict.reason}`);
        return this.#refuse(exchange, 403, "AccessDenied", `Cross-origin request refused: ${verdict.reason}`);
      }
    }
    // A request whose CORS is the service's own (a presigned S3 URL, as on AWS) gets none from the edge, even for a
    // page the engine allows (else an app that works here would fail there).
    const edgeCorsOrigin = route.section?.ownsCors?.(head) ? undefined : allowedOrigin;
    if (head.method === "OPTIONS" && edgeCorsOrigin) {
      // A CORS preflight from a page the engine allows (bucket CORS preflights go to S3).
      const requested = request.headers["access-control-request-headers"];
      return this.#finish(
        request,
        response,
        {
          status: 200,
          headers: corsHeaders(edgeCorsOrigin, typeof requested === "string" ? requested : ""),
        },
        false,
      );
    }
    if (internal) {
      const limit: BufferedBody = {
        bytes: internalRequestBytes,
        status: 413,
        code: "RequestEntityTooLarge",
        message: "the upload is too large",
      };
      const body = await this.#readBuffered(request, limit, reservation);
      if (body instanceof BodyReadError) return this.#bodyRefused(exchange, body, limit);
      const url = new URL(rawUrl, "http://edge");
      return this.#answer(exchange, withEdgeCors(await internal.route(request, url, body), edgeCorsOrigin));
    }
    // An unsigned query request (no credential scope, no target) names its service by its Version, as LocalStack
    // routes by a form's Action and Version (service_router.py); the fallback service takes the rest.
    let preread: Buffer | undefined;
    if (route.section?.fallback && scope === undefined && isUnsignedQuery(head)) {
      const limit = unsignedQueryLimit(registry, head);
      const read = await this.#readBuffered(request, limit, reservation);
      if (read instanceof BodyReadError) return this.#bodyRefused(exchange, read, limit);
      preread = read;
      const named = registry.byQueryVersion(parseQueryForm(head.query, read).params.get("Version") ?? "");
      if (named !== undefined && this.#services.has(named.signingName)) {
        route = { name: named.signingName, section: named, protocol: "query" };
        service = this.#services.get(named.signingName);
        exchange.route = route;
      }
    }
    const section = route.section;
    if (!service || !section) {
      return this.#finish(
        request,
        response,
        {
          status: 501,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `Service '${route.name}' is not served by the embedded engine` }),
        },
        false,
      );
    }
    // Temporary credentials are checked before the body is read: an expired session sends nothing further.
    const caller = this.#context.credentials.resolve(scope?.accessKeyId, head);
    if ("refused" in caller) {
      const refusal = credentialRefusal(caller.refused, route.protocol);
      return this.#refuse(exchange, refusal.status, refusal.code, refusal.message, refusal.queryCode);
    }
    const limit = section.bodyLimit(head, operationOfHead(head));
    // Until a body is read: the empty Buffer #readBuffered also answers, not one made per request.
    let body: Buffer = emptyBody;
    let bodyStream: Readable | undefined;
    if (preread !== undefined) {
      body = preread;
    } else if ("stream" in limit) {
      bodyStream = this.#streamed(request);
    } else {
      const read = await this.#readBuffered(request, limit, reservation);
      if (read instanceof BodyReadError) return this.#bodyRefused(exchange, read, limit);
      body = read;
    }
    // A query request is parsed once, here: the checks below and the service read the same parameters.
    let queryForm: QueryForm | undefined;
    if (route.protocol === "query") {
      queryForm = parseQueryForm(head.query, body);
      if (queryForm.repeated.length > 0)
        return this.#answer(
          exchange,
          renderQueryError(repeatedParameterError(queryForm.repeated), requestId),
        );
    }
    const operation = queryForm ? (queryForm.params.get("Action") ?? "") : operationOfHead(head);
    if (isStateChangingGet(head.method, section, operation)) {
      return this.#refuse(
        exchange,
        405,
        "MethodNotAllowed",
        `${operation} changes state and is not accepted as a GET; send it as a POST`,
      );
    }
    // One literal, no spread: on Node 20 (V8 11.3) a property written after a spread takes V8's slow path,
    // about 2 µs each (docs/benchmarks.md, sixth session); Node 22 and later do not pay it.
    const serviceRequest: ServiceRequest = {
      method: head.method,
      rawPath: head.rawPath,
      query: head.query,
      headers: head.headers,
      host: head.host,
      body,
      caller,
      region: scope?.region || this.#context.region,
      requestId,
    };
    if (bodyStream) serviceRequest.bodyStream = bodyStream;
    if (queryForm) serviceRequest.queryForm = queryForm;
    const result = await service.handle(serviceRequest);
    result.headers = { "x-amzn-requestid": serviceRequest.requestId, ...result.headers };
    await this.#answer(exchange, withEdgeCors(result, edgeCorsOrigin));
  }

  #answer(exchange: Exchange, result: ServiceResponse): Promise<void> {
    return this.#finish(exchange.request, exchange.response, result, exchange.isHead);
  }

  /** An error answer in the format of the request's route. */
  #refuse(
    exchange: Exchange,
    status: number,
    code: string,
    message: string,
    queryCode?: string,
  ): Promise<void> {
    const { route, requestId } = exchange;
    return this.#answer(exchange, protocolError(route, status, code, message, requestId, {}, queryCode));
  }

  /** The answer to a body that could not be read: none to a client that went away. */
  #bodyRefused(exchange: Exchange, error: BodyReadError, limit: BufferedBody): Promise<void> | undefined {
    switch (error.kind) {
      case "too-large":
        return this.#refuse(exchange, limit.status, limit.code, limit.message, limit.queryCode);
      case "stalled":
        return this.#refuse(exchange, 408, "RequestTimeout", error.message);
      case "throttled":
        return this.#answer(exchange, throttled(exchange.route, exchange.requestId));
      case "aborted":
        return undefined;
    }
  }

  /**
   * Reads a body up to `limit` bytes, counting it against the engine-wide budget (`reservation`) as it arrives,
   * the declared length up front; a larger, throttled, stalled or aborted body is not kept.
   */
  #readBuffered(
    request: IncomingMessage,
    limit: BufferedBody,
    reservation: Reservation,
  ): Promise<Buffer | BodyReadError> {
    // No body (a GET, a HEAD, `Content-Length: 0`): nothing to read or count; the server drains the empty stream.
    if (hasNoBody(request)) return Promise.resolve(emptyBody);
    const declared = Number(request.headers["content-length"] ?? "0");
    if (declared > limit.bytes) return Promise.resolve(new BodyReadError("too-large", limit.message));
    if (declared > 0 && !reservation.reserve(declared))
      return Promise.resolve(new BodyReadError("throttled", "the engine's request budget is spent"));
    this.#streamed(request);
    // The listeners are passed inline and stay on the request once it is settled, ignoring what follows (a
    // refused body is read on and dropped by #finish): run from source, tsx names every closure held in a const
    // (see Exchange), and a listener kept on an object or class instance to be removed later cost 6 to 9% more
    // CPU per GetItem on Node 24 (docs/benchmarks.md, thirteenth session).
    return new Promise((resolve) => {
      const read: BufferedRead = { chunks: [], size: 0, settled: false, resolve };
      request
        .on("data", (chunk: Buffer) => {
          if (read.settled) return;
          read.size += chunk.length;
          if (read.size > limit.bytes) settleRead(read, new BodyReadError("too-large", limit.message));
          else if (!reservation.reserve(read.size - reservation.bytes))
            settleRead(read, new BodyReadError("throttled", "the engine's request budget is spent"));
          else read.chunks.push(chunk);
        })
        .on("end", () =>
          settleRead(
            read,
            read.chunks.length === 1 ? (read.chunks[0] as Buffer) : Buffer.concat(read.chunks, read.size),
          ),
        )
        .on("error", (error: Error) =>
          settleRead(
            read,
            error instanceof BodyReadError ? error : new BodyReadError("aborted", error.message),
          ),
        )
        .on("close", () => {
          if (!request.complete)
            settleRead(read, new BodyReadError("aborted", "the client closed the connection"));
        });
    });
  }

  /** The request body as a stream that fails (and closes the connection) once no byte came for the idle timeout. */
  #streamed(request: IncomingMessage): IncomingMessage {
    if (request.complete) return request;
    const socket = request.socket;
    if (!this.#watchedBody.has(socket)) socket.on("timeout", this.#onSocketTimeout);
    this.#watchedBody.set(socket, request);
    socket.setTimeout(this.#settings.bodyIdleTimeoutMs);
    request.once("end", this.#onBodyDone);
    request.once("close", this.#onBodyDone);
    return request;
  }

  /**
   * Writes the response. A body the handler did not read (refused before or while it was read) is read and
   * dropped for a bounded time and size, so a client still sending gets the answer; then its connection closes.
   */
  async #finish(
    request: IncomingMessage,
    response: ServerResponse,
    result: ServiceResponse,
    isHead: boolean,
  ): Promise<void> {
    // The response detaches the socket from the request once it is done: keep it to close it.
    const socket = request.socket as Socket | null;
    if (!request.complete && socket && !socket.destroyed) discardRest(request, socket);
    if (response.headersSent || response.writableEnded) return;
    await writeResponse(response, result, isHead, this.#watchAnswer);
  }
}

const emptyBody = Buffer.alloc(0);

/** A body being read into memory. */
interface BufferedRead {
  chunks: Buffer[];
  size: number;
  /** Answered: what the request emits after is ignored. */
  settled: boolean;
  resolve: (result: Buffer | BodyReadError) => void;
}

/** Answers a body read once; its chunks are let go (the request, and so its listeners, may outlive the read). */
function settleRead(read: BufferedRead, result: Buffer | BodyReadError): void {
  if (read.settled) return;
  read.settled = true;
  read.chunks = [];
  read.resolve(result);
}

/** `result` with the edge's CORS headers for `origin` (none without one). */
function withEdgeCors(result: ServiceResponse, origin: string | undefined): ServiceResponse {
  return origin ? { ...result, headers: { ...corsHeaders(origin), ...result.headers } } : result;
}

/** Whether a request carries no body: no transfer coding and a zero or absent length (RFC 9112 §6.3). */
function hasNoBody(request: IncomingMessage): boolean {
  const { headers } = request;
  return (
    headers["transfer-encoding"] === undefined &&
    (headers["content-length"] === undefined || headers["content-length"] === "0")
  );
}

/** Reads and drops the rest of a body for at most DISCARD_MS and DISCARD_BYTES, then closes the connection. */
function discardRest(request: IncomingMessage, socket: Socket): void {
  let dropped = 0;
  const close = () => socket.destroy();
  const timer = setTimeout(close, DISCARD_MS);
  timer.unref();
  request.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_BYTES) close();
  });
  request.once("end", () => clearTimeout(timer));
  request.once("close", () => clearTimeout(timer));
  request.resume();
}

/**
 * Ends an answer whose client read no byte of it for the idle timeout (its `this`): the connection closes, and a
 * streamed body's source with it. Without it an unread answer held its connection, and an object's open file, for
 * ever.
 */
function closeUnreadAnswer(this: ServerResponse): void {
  this.destroy();
}

/** Writes `result`; an answer not yet taken by its client is given to `watchAnswer` (closed if it stays so). */
async function writeResponse(
  response: ServerResponse,
  result: ServiceResponse,
  isHead: boolean,
  watchAnswer: (response: ServerResponse) => void,
): Promise<void> {
  const headers: Record<string, string | number | string[]> = { "x-localstack": "true", ...result.headers };
  const body = result.body;
  if (body instanceof Readable) {
    // A client gone before the answer (its connection closed while the service opened the object): its response has
    // already closed, so the "close" below would never come. The source is let go now, not left open until GC.
    if (response.destroyed) {
      body.destroy();
      return;
    }
    response.writeHead(result.status, headers);
    if (isHead) {
      body.destroy();
      response.end();
      return;
    }
    watchAnswer(response);
    await new Promise<void>((resolve, reject) => {
      body.once("error", reject);
      response.once("close", () => {
        // A client that disconnects mid-download must not leave the source (e.g. an open file) behind.
        if (!body.readableEnded) body.destroy();
        resolve();
      });
      body.pipe(response);
    });
    return;
  }
  const payload = body === undefined ? undefined : oneWritePayload(body);
  if (payload && headers["content-length"] === undefined) headers["content-length"] = payload.bytes;
  response.writeHead(result.status, headers);
  if (isHead || payload === undefined) response.end();
  else if (typeof payload.data === "string") response.end(payload.data, "latin1");
  else response.end(payload.data);
  // Most answers are in the kernel's buffers by now; one that is not waits on its client.
  if ((response.socket?.writableLength ?? 0) > 0) watchAnswer(response);
}

/** Bodies up to this size go out with the head in one write; past it, two writes cost less than the copy. */
const ONE_WRITE_BYTES = 2048;

/**
 * A body as Node's response writes it. Node sends a string body in one write with the head (the head joined to it)
 * and a Buffer in a second one (a writev): on Node 24 the one write saved 3 to 9 µs of a 1 KiB answer's CPU, nothing
 * at 4 KiB, and lost from 8 KiB on, where copying the bytes into a string costs more (docs/benchmarks.md). So an
 * ASCII string, and a Buffer of up to {@link ONE_WRITE_BYTES}, go as latin1 strings: latin1 maps each byte to
 * itself, and is how Node writes heads, so the bytes on the wire are the same as before, head included. Other
 * strings are encoded as UTF-8 first (joined to a UTF-8 string, the head's latin1 bytes would be re-encoded).
 */
function oneWritePayload(body: string | Buffer): { data: string | Buffer; bytes: number } {
  if (typeof body === "string") {
    const bytes = Buffer.byteLength(body);
    // Every character past ASCII takes two or more UTF-8 bytes: equal lengths mean ASCII.
    return bytes === body.length ? { data: body, bytes } : { data: Buffer.from(body), bytes };
  }
  return { data: body.length <= ONE_WRITE_BYTES ? body.toString("latin1") : body, bytes: body.length };
}
