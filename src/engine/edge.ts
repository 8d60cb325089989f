import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { EngineContext } from "./context.ts";
import { parseSigV4Scope } from "./sigv4.ts";
import type { Service, ServiceRequest, ServiceResponse } from "./types.ts";

/** A handler for engine-internal paths such as `/_localstack/health` or `/_pipeline/...`. */
export type InternalRoute = (request: IncomingMessage, url: URL, body: Buffer) => Promise<ServiceResponse>;

/** Target prefixes of the JSON protocols, for requests whose signature does not name the service. */
const targetPrefixes: Record<string, string> = {
  DynamoDB_20120810: "dynamodb",
  DynamoDBStreams_20120810: "dynamodb",
  Logs_20140328: "logs",
};

/**
 * The single HTTP endpoint every client talks to, as LocalStack's port 4566: routes a request to a service by
 * the SigV4 credential scope, then `X-Amz-Target`, then path; S3 takes whatever is left (browsers, presigned URLs).
 */
export class Edge {
  readonly #services = new Map<string, Service>();
  readonly #internal: Array<{ prefix: string; route: InternalRoute }> = [];
  readonly #context: EngineContext;
  #server: Server | undefined;

  constructor(context: EngineContext) {
    this.#context = context;
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
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (request, response) => {
      this.#dispatch(request, response).catch((error: unknown) => {
        this.#context.log(`edge: unhandled error: ${error instanceof Error ? error.stack : String(error)}`);
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end("InternalError");
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
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
    const body = await readBody(request);
    const internal = this.#internal.find(({ prefix }) => url.pathname.startsWith(prefix));
    if (internal) {
      await writeResponse(response, await internal.route(request, url, body), request.method === "HEAD");
      return;
    }
    const scope = parseSigV4Scope(request.headers, url.searchParams);
    const target = request.headers["x-amz-target"];
    const targetService = typeof target === "string" ? targetPrefixes[target.split(".")[0] ?? ""] : undefined;
    const serviceName = targetService ?? scope?.service ?? "s3";
    const service = this.#services.get(serviceName);
    if (!service) {
      await writeResponse(
        response,
        {
          status: 501,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `Service '${serviceName}' is not served by the embedded engine` }),
        },
        false,
      );
      return;
    }
    const rawUrl = request.url ?? "/";
    const queryIndex = rawUrl.indexOf("?");
    const serviceRequest: ServiceRequest = {
      method: request.method ?? "GET",
      rawPath: queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex),
      query: url.searchParams,
      headers: request.headers,
      host: request.headers.host ?? "",
      body,
      caller: this.#context.credentials.resolve(scope?.accessKeyId),
      region: scope?.region || this.#context.region,
      requestId: randomUUID(),
    };
    const result = await service.handle(serviceRequest);
    result.headers = { "x-amzn-requestid": serviceRequest.requestId, ...result.headers };
    await writeResponse(response, result, request.method === "HEAD");
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
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
