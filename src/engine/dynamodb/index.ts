import { EventEmitter } from "node:events";
import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { jsonAccessDenied } from "../access-denied.ts";
import { dynamodbTableArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { jsonError } from "../service/index.ts";
import type { Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { startDynamoDbLocal } from "./dynamodb-local.ts";

/** A DynamoDB emulator reachable over HTTP on loopback. */
export interface DynamoDbBackendHandle {
  readonly url: URL;
  readonly name: string;
  /** In-process dispatch, when the backend runs in this process (saves a loopback HTTP hop per call). */
  dispatch?(request: ServiceRequest): Promise<ServiceResponse>;
  close(): Promise<void>;
}

/** Operations whose request carries `TableName`; IAM needs the table for the resource ARN. */
const batchOperations = new Set(["BatchGetItem", "BatchWriteItem"]);

/**
 * DynamoDB through a real emulator (dynalite in-process by default, Amazon DynamoDB Local opt-in):
 * the engine only adds what emulators lack: IAM enforcement for role callers and fault injection.
 */
export async function createDynamoDbService(
  context: EngineContext,
  options: EngineOptions,
): Promise<Service> {
  const backend =
    options.dynamodbBackend === "dynamodb-local"
      ? await startDynamoDbLocal(options.dataDir ? join(options.dataDir, "dynamodb-local") : undefined)
      : await startDynalite(options.dataDir ? join(options.dataDir, "dynamodb") : undefined);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  return {
    signingName: "dynamodb",
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      const target = String(request.headers["x-amz-target"] ?? "");
      const operation = target.split(".")[1] ?? "";
      if (request.caller.role) {
        const denied = authorize(context, request, operation);
        if (denied) return denied;
        const faults = context.faults;
        if (faults.shouldFail(faults.options.dynamodbErrorRate)) {
          return faults.random() < 0.5
            ? jsonError(
                400,
                "ProvisionedThroughputExceededException",
                "Rate of requests exceeds the allowed throughput (injected fault).",
              )
            : jsonError(500, "InternalServerError", "Internal server error (injected fault).");
        }
      }
      return backend.dispatch ? backend.dispatch(request) : forward(backend.url, agent, request);
    },
    async close() {
      agent.destroy();
      await backend.close();
    },
  };
}

function authorize(
  context: EngineContext,
  request: ServiceRequest,
  operation: string,
): ServiceResponse | undefined {
  const tables = tablesOf(request.body, operation);
  for (const table of tables.length > 0 ? tables : ["*"]) {
    const resource = dynamodbTableArn(request.region, context.accountId, table);
    const action = `dynamodb:${operation}`;
    const verdict = context.authorizer.authorize(request.caller, action, resource);
    if (!verdict.allowed)
      return jsonAccessDenied(request.caller, action, resource, verdict.reason, "com.amazon.coral.service");
  }
  return undefined;
}

function tablesOf(body: Buffer, operation: string): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as {
      TableName?: string;
      RequestItems?: Record<string, unknown>;
    };
    if (batchOperations.has(operation)) return Object.keys(parsed.RequestItems ?? {});
    return parsed.TableName ? [parsed.TableName] : [];
  } catch {
    return [];
  }
}

function forward(base: URL, agent: Agent, request: ServiceRequest): Promise<ServiceResponse> {
  const headers = { ...request.headers, host: base.host, "content-length": String(request.body.length) };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: base.hostname, port: base.port, path: "/", method: request.method, headers, agent },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (
              value !== undefined &&
              name !== "connection" &&
              name !== "transfer-encoding" &&
              name !== "date"
            ) {
              responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
            }
          }
          resolve({
            status: incoming.statusCode ?? 500,
            headers: responseHeaders,
            body: Buffer.concat(chunks),
          });
        });
        incoming.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

async function startDynalite(path: string | undefined): Promise<DynamoDbBackendHandle> {
  const { default: dynalite } = await import("dynalite");
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // dynalite's request handler only needs an emitter of the body and a response with setHeader/end: calling it
  // directly is the same code path without a second HTTP round trip. The listening socket stays for close().
  const handler = server.listeners("request")[0] as (req: unknown, res: unknown) => void;
  return {
    name: "dynalite",
    url: new URL(`http://127.0.0.1:${port}`),
    dispatch: (request) => dispatchInProcess(handler, request),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Runs dynalite's HTTP handler with an in-memory request and response. */
function dispatchInProcess(
  handler: (req: unknown, res: unknown) => void,
  request: ServiceRequest,
): Promise<ServiceResponse> {
  return new Promise((resolve) => {
    const req = Object.assign(new EventEmitter(), {
      headers: request.headers,
      method: request.method,
      url: "/",
    });
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 200,
      contentType: "application/x-amz-json-1.0",
      setHeader(name: string, value: string | number) {
        headers[name.toLowerCase()] = String(value);
      },
      end(body?: string | Buffer) {
        delete headers["transfer-encoding"];
        resolve({
          status: res.statusCode,
          headers,
          body: body === undefined ? Buffer.alloc(0) : Buffer.from(body),
        });
      },
    };
    handler(req, res);
    process.nextTick(() => {
      if (request.body.length > 0) req.emit("data", request.body);
      req.emit("end");
    });
  });
}
