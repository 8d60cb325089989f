import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { jsonError } from "../protocol.ts";
import type { Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { startDynamoDbLocal } from "./dynamodb-local.ts";

/** A DynamoDB emulator reachable over HTTP on loopback. */
export interface DynamoDbBackendHandle {
  readonly url: URL;
  readonly name: string;
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
      return forward(backend.url, agent, request);
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
    const resource = `arn:aws:dynamodb:${request.region}:${context.accountId}:table/${table}`;
    const action = `dynamodb:${operation}`;
    const verdict = context.authorizer.authorize(request.caller, action, resource);
    if (!verdict.allowed) {
      const why =
        verdict.reason === "explicit-deny"
          ? "with an explicit deny in an identity-based policy"
          : `because no identity-based policy allows the ${action} action`;
      return jsonError(
        400,
        "AccessDeniedException",
        `User: ${request.caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
        "com.amazon.coral.service",
      );
    }
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
  const { default: dynalite } = (await import("dynalite")) as unknown as {
    default: (options: Record<string, unknown>) => import("node:http").Server;
  };
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
  return {
    name: "dynalite",
    url: new URL(`http://127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
