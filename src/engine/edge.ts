import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { EngineContext } from "./context.ts";
import {
  checkBrowserOrigin,
  corsHeaders,
  type GuardSettings,
  isAllowedHost,
  isPresignedObjectRequest,
  isStateChangingGet,
} from "./request-guard.ts";
import { type BufferedBody, bodyLimit, internalRequestBytes } from "./request-limits.ts";
import { jsonError, queryError, restJsonError, toXml } from "./service/index.ts";
import { parseSigV4Scope } from "./sigv4.ts";
import type { RequestHead, Service, ServiceRequest, ServiceResponse } from "./types.ts";

/** A handler for engine-internal paths such as `/_localstack/health` or `/_pipeline/...`. */
export type InternalRoute = (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>;

/** Target prefixes of the JSON protocols, for requests whose signature does not name the service. */
const targetPrefixes: Record<string, string> = {
  DynamoDB_20120810: "dynamodb",
  DynamoDBStreams_20120810: "dynamodb",
  Logs_20140328: "logs",
  AmazonSQS: "sqs",
};

export interface EdgeSettings {
  guard: GuardSettings;
  /** A client must send its whole request head within this time (slow-header attacks). */
  headersTimeoutMs: number;
  /** A body that sends no byte for this long is abandoned and its connection closed. */
  bodyIdleTimeoutMs: number;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000;

/** Raised while reading a body: too large for its operation, or stalled past the idle timeout. */
class BodyReadError extends Error {
  constructor(
    readonly kind: "too-large" | "stalled",
    message: string,
  ) {
    super(message);
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
  readonly #context: EngineContext;
  readonly #settings: EdgeSettings;
  #server: Server | undefined;
  #port = 0;

  constructor(context: EngineContext, settings: EdgeSettings) {
    this.#context = context;
    this.#settings = settings;
  }

  addService(service: Service): void {
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
  }

  async listen(port: number, host: string): Promise<number> {
    const { headersTimeoutMs } = this.#settings;
    const server = createServer(
      {
        keepAliveTimeout: 65_000,
        // Whole-request time is not bounded (a 5 GB upload may take minutes); headers and body idleness are.
        requestTimeout: 0,
        headersTimeout: headersTimeoutMs,
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
      },
      (request, response) => {
        this.#dispatch(request, response).catch((error: unknown) => {
          this.#context.log(`edge: unhandled error: ${error instanceof Error ? error.stack : String(error)}`);
          if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
          response.end("InternalError");
        });
      },
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

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://edge");
    const isHead = request.method === "HEAD";
    const requestId = randomUUID();
    const guard = this.#settings.guard;
    const internal = this.#internal.find(({ prefix }) => url.pathname.startsWith(prefix));
    const scope = parseSigV4Scope(request.headers, url.searchParams);
    const target = request.headers["x-amz-target"];
    const targetService = typeof target === "string" ? targetPrefixes[target.split(".")[0] ?? ""] : undefined;
    const serviceName = internal ? "internal" : (targetService ?? scope?.service ?? "s3");
    const refuse = (status: number, code: string, message: string) =>
      this.#finish(request, response, protocolError(serviceName, status, code, message, requestId), isHead);

    if (!isAllowedHost(request.headers.host, guard)) {
      return refuse(
        421,
        "MisdirectedRequest",
        `This engine does not serve host '${request.headers.host ?? ""}'`,
      );
    }
    const rawUrl = request.url ?? "/";
    const queryIndex = rawUrl.indexOf("?");
    const head: RequestHead = {
      method: request.method ?? "GET",
      rawPath: queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex),
      query: url.searchParams,
      headers: request.headers,
      host: request.headers.host ?? "",
    };
    const service = internal ? undefined : this.#services.get(serviceName);
    const verdict = checkBrowserOrigin(request.headers, guard, this.#port);
    let allowedOrigin = verdict.allowed ? verdict.origin : undefined;
    if (!verdict.allowed) {
      const exemption = this.#crossOriginExemption(serviceName, service, head, request, verdict.origin);
      if (!exemption) {
        this.#context.log(`edge: refused ${head.method} ${url.pathname}: ${verdict.reason}`);
        return refuse(403, "AccessDenied", `Cross-origin request refused: ${verdict.reason}`);
      }
      // A presigned URL works from any page, preflight and response included; bucket CORS answers for itself.
      if (exemption === "presigned" && verdict.origin !== undefined && verdict.origin !== "null")
        allowedOrigin = verdict.origin;
    }
    if (head.method === "OPTIONS" && allowedOrigin) {
      // A CORS preflight from a page the engine allows (bucket CORS preflights go to S3).
      const requested = request.headers["access-control-request-headers"];
      return this.#finish(
        request,
        response,
        {
          status: 200,
          headers: allowedOrigin
            ? corsHeaders(allowedOrigin, typeof requested === "string" ? requested : "")
            : {},
        },
        false,
      );
    }
    const withCors = (result: ServiceResponse): ServiceResponse =>
      allowedOrigin ? { ...result, headers: { ...corsHeaders(allowedOrigin), ...result.headers } } : result;

    if (internal) {
      const body = await this.#readBuffered(request, {
        bytes: internalRequestBytes,
        status: 413,
        code: "RequestEntityTooLarge",
        message: "the upload is too large",
      });
      if (body instanceof BodyReadError)
        return refuse(body.kind === "too-large" ? 413 : 408, "BodyRefused", body.message);
      return this.#finish(request, response, withCors(await internal.route(request, url, body)), isHead);
    }
    if (!service) {
      return this.#finish(
        request,
        response,
        {
          status: 501,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `Service '${serviceName}' is not served by the embedded engine` }),
        },
        false,
      );
    }
    if (isStateChangingGet(head.method, serviceName, head.query)) {
      return refuse(
        405,
        "MethodNotAllowed",
        `${head.query.get("Action")} changes state and is not accepted as a GET; send it as a POST`,
      );
    }
    const limit = bodyLimit(serviceName, head);
    let body: Buffer = Buffer.alloc(0);
    let bodyStream: Readable | undefined;
    if ("stream" in limit) {
      bodyStream = this.#streamed(request);
    } else {
      const read = await this.#readBuffered(request, limit);
      if (read instanceof BodyReadError) {
        return read.kind === "too-large"
          ? refuse(limit.status, limit.code, limit.message)
          : refuse(408, "RequestTimeout", read.message);
      }
      body = read;
    }
    const serviceRequest: ServiceRequest = {
      ...head,
      body,
      ...(bodyStream ? { bodyStream } : {}),
      caller: this.#context.credentials.resolve(scope?.accessKeyId),
      region: scope?.region || this.#context.region,
      requestId,
    };
    const result = await service.handle(serviceRequest);
    result.headers = { "x-amzn-requestid": serviceRequest.requestId, ...result.headers };
    await this.#finish(request, response, withCors(result), isHead);
  }

  /**
   * A browser request refused by origin that may still go on: presigned S3 object URLs (any page holding one may
   * use it; for a preflight, the method it announces), and S3 requests the bucket's own CORS configuration allows
   * (S3's CORS rules are the user's to set).
   */
  #crossOriginExemption(
    serviceName: string,
    service: Service | undefined,
    head: RequestHead,
    request: IncomingMessage,
    origin: string | undefined,
  ): "presigned" | "bucket-cors" | undefined {
    if (serviceName !== "s3" || !service) return undefined;
    const announced = request.headers["access-control-request-method"];
    const method = head.method === "OPTIONS" && typeof announced === "string" ? announced : head.method;
    if (isPresignedObjectRequest(method.toUpperCase(), head.rawPath, head.query)) return "presigned";
    if (origin !== undefined && origin !== "null" && service.allowsCrossOrigin?.(head, origin) === true)
      return "bucket-cors";
    return undefined;
  }

  /** Reads a body up to `limit` bytes; a larger declared or received body, or a stalled one, is not kept. */
  async #readBuffered(request: IncomingMessage, limit: BufferedBody): Promise<Buffer | BodyReadError> {
    const declared = Number(request.headers["content-length"] ?? "0");
    if (declared > limit.bytes) return new BodyReadError("too-large", limit.message);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.#streamed(request)) {
        size += (chunk as Buffer).length;
        if (size > limit.bytes) return new BodyReadError("too-large", limit.message);
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof BodyReadError) return error;
      throw error;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  }

  /** The request body as a stream that fails (and closes the connection) once no byte came for the idle timeout. */
  #streamed(request: IncomingMessage): Readable {
    const idleMs = this.#settings.bodyIdleTimeoutMs;
    const socket = request.socket;
    if (request.complete) return request;
    const onTimeout = () => {
      const error = new BodyReadError("stalled", `no body data for ${idleMs / 1000} s`);
      request.destroy(error);
      socket.destroy();
    };
    socket.setTimeout(idleMs, onTimeout);
    // A keep-alive socket carries many requests: each one's listener goes when its body is done.
    const clear = () => {
      socket.setTimeout(0);
      socket.removeListener("timeout", onTimeout);
    };
    request.once("end", clear);
    request.once("close", clear);
    return request;
  }

  /**
   * Writes the response. A body the handler did not read (a PUT refused before its body) is not drained: the
   * connection closes after the response instead.
   */
  async #finish(
    request: IncomingMessage,
    response: ServerResponse,
    result: ServiceResponse,
    isHead: boolean,
  ): Promise<void> {
    const unread = !request.complete && !request.readableEnded;
    if (unread) result.headers = { ...result.headers, connection: "close" };
    await writeResponse(response, result, isHead);
    if (unread) request.socket.destroySoon();
  }
}

/** An error in the protocol of the service a request was routed to (the edge refuses before the service runs). */
function protocolError(
  service: string,
  status: number,
  code: string,
  message: string,
  requestId: string,
): ServiceResponse {
  switch (service) {
    case "s3":
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: toXml("Error", { Code: code, Message: message, RequestId: requestId }),
      };
    case "iam":
    case "sts":
      return queryError(status, code, message, requestId);
    case "lambda":
      return restJsonError(status, code.endsWith("Exception") ? code : `${code}Exception`, message);
    case "dynamodb":
      return jsonError(status, code, message);
    case "logs":
      return jsonError(status, code, message, "com.amazonaws.logs");
    default:
      return {
        status,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ error: code, message }),
      };
  }
}

async function writeResponse(
  response: ServerResponse,
  result: ServiceResponse,
  isHead: boolean,
): Promise<void> {
  const headers: Record<string, string | number | string[]> = { "x-localstack": "true", ...result.headers };
  const body = result.body;
  if (body instanceof Readable) {
    response.writeHead(result.status, headers);
    if (isHead) {
      body.destroy();
      response.end();
      return;
    }
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
  const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body) : body;
  if (payload && headers["content-length"] === undefined) headers["content-length"] = payload.length;
  response.writeHead(result.status, headers);
  response.end(isHead ? undefined : payload);
}
