import type { Agent } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { EngineContext } from "../context.ts";
import { nodeHttp } from "../node-http.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher, type ServiceDeclaration, ServiceError } from "../service/index.ts";
import type { DurableStore } from "../store/index.ts";
import { checkLevelStore, levelStoreInUse } from "../store/level.ts";
import type { Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { withConditionFailureItem } from "./condition-failure-item.ts";
import { installDynaliteRewrites } from "./dynalite-rewrites.ts";
import { startDynamoDbLocal } from "./dynamodb-local.ts";
import { inputLimitViolation, nestingMessage } from "./input-limits.ts";
import { refuseIgnoredMembers } from "./members.ts";
import { dynamoDbOperations, parseBody } from "./operations.ts";
import { dynamoDbSection } from "./section.ts";
import { withTags } from "./tags.ts";

/** A DynamoDB emulator reachable over HTTP on loopback. */
export interface DynamoDbBackendHandle {
  readonly url: URL;
  readonly name: string;
  /** In-process dispatch, when the backend runs in this process (saves a loopback HTTP hop per call). */
  dispatch?(request: ServiceRequest): Promise<ServiceResponse>;
  close(): Promise<void>;
}

/**
 * Checks DynamoDB's stored LevelDB (dynalite's, under `--persist`) before anything else of the engine opens the data
 * directory: dynalite would open a damaged store and fail at the first read that reaches the damage, and a store
 * another engine holds (its LOCK) means that engine serves the directory, whose journals this one must not touch.
 */
export async function checkDynamoDbStore(
  store: DurableStore | undefined,
  options: EngineOptions,
): Promise<void> {
  if (!store || options.dynamodbBackend === "dynamodb-local") return;
  const path = join(store.dataDir, "dynamodb");
  const problem = await checkLevelStore(path);
  if (problem?.locked) throw levelStoreInUse(store.dataDir, path, problem);
  if (problem) throw store.damaged(`the DynamoDB store ${path} cannot be read (${problem.detail})`);
}

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
  const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 64 });

  // Role callers may be given injected faults (after their permission is checked, as a throttle would be).
  const forwardWithFaults = async (
    request: ServiceRequest,
    operationName: string,
    body: unknown = parseBody(request.body),
  ): Promise<ServiceResponse> => {
    checkInputLimits(body, operationName);
    const faults = context.faults;
    if (request.caller.role && faults.shouldFail(faults.options.dynamodbErrorRate)) {
      throw faults.random() < 0.5
        ? new ServiceError(
            400,
            "ProvisionedThroughputExceededException",
            "Rate of requests exceeds the allowed throughput (injected fault).",
          )
        : new ServiceError(500, "InternalServerError", "Internal server error (injected fault).");
    }
    // What the backends ignore, handled around them: tags, and the item of a failed condition.
    return withTags(
      (tagged) => withConditionFailureItem(toBackend, operationName, tagged),
      backend.name,
      operationName,
      request,
    );
  };
  const toBackend = async (request: ServiceRequest): Promise<ServiceResponse> => {
    try {
      return await (backend.dispatch ? backend.dispatch(request) : forward(backend.url, agent, request));
    } catch (error) {
      // Whatever the backend throws is this request's failure, never the engine's.
      context.log(`dynamodb: ${backend.name} failed: ${String(error)}`);
      throw new ServiceError(500, "InternalServerError", "Internal server error", { cause: error });
    }
  };
  const declaration: ServiceDeclaration = {
    section: dynamoDbSection,
    // DynamoDB's AccessDeniedException is Coral's, not in the service's namespace.
    accessDenied: {
      error: (message) =>
        new ServiceError(400, "AccessDeniedException", message, {
          typePrefix: "com.amazon.coral.service",
        }),
    },
    // Past the engine's safe parsing depth, DynamoDB's own nesting limit answers, in its words.
    tooDeeplyNested: () =>
      new ServiceError(400, "ValidationException", nestingMessage, {
        typePrefix: "com.amazon.coral.validate",
      }),
    operations: dynamoDbOperations(
      context.accountId,
      forwardWithFaults,
      options.dynamodbBackend === "dynamodb-local" ? undefined : refuseIgnoredMembers,
    ),
    // What the engine does not declare, the emulator answers (its own UnknownOperationException included).
    fallback: (name, call) => forwardWithFaults(call.request, name),
  };

  return {
    signingName: dynamoDbSection.signingName,
    handle: createDispatcher(declaration, context),
    async close() {
      agent.destroy();
      await backend.close();
    },
  };
}

/** Refuses, as AWS does, what breaks DynamoDB's documented input limits (see input-limits.ts). */
function checkInputLimits(body: unknown, operationName: string): void {
  if (body === undefined) return; // The backend answers malformed JSON with its own SerializationException.
  const violation = inputLimitViolation(operationName, body);
  if (violation)
    throw new ServiceError(400, "ValidationException", violation, {
      typePrefix: "com.amazon.coral.validate",
    });
}

function forward(base: URL, agent: Agent, request: ServiceRequest): Promise<ServiceResponse> {
  const headers = { ...request.headers, host: base.host, "content-length": String(request.body.length) };
  return new Promise((resolve, reject) => {
    const outgoing = nodeHttp.request(
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
  installDynaliteRewrites();
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

/**
 * Runs dynalite's HTTP handler with an in-memory request and response. The request is the least dynalite's handler
 * uses of an IncomingMessage (its `data`, `end` and `error` listeners, `removeAllListeners`, headers, method, url):
 * the body is handed to its listeners as soon as they are registered.
 */
function dispatchInProcess(
  handler: (req: unknown, res: unknown) => void,
  request: ServiceRequest,
): Promise<ServiceResponse> {
  return new Promise((resolve, reject) => {
    const listeners: Partial<Record<"data" | "end" | "error", (value?: unknown) => void>> = {};
    const req = {
      headers: request.headers,
      method: request.method,
      url: "/",
      on(event: "data" | "end" | "error", listener: (value?: unknown) => void) {
        listeners[event] = listener;
        return req;
      },
      removeAllListeners() {
        listeners.data = undefined;
        listeners.end = undefined;
        listeners.error = undefined;
        return req;
      },
    };
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 200,
      contentType: "application/x-amz-json-1.0",
      setHeader(name: string, value: string | number) {
        headers[name.toLowerCase()] = String(value);
      },
      end(body?: string | Buffer) {
        delete headers["transfer-encoding"];
        // dynalite's JSON stays a string: the edge writes a string body with the head in one write.
        resolve({ status: res.statusCode, headers, body: body ?? "" });
      },
    };
    // dynalite validates and starts the operation synchronously in its "end" listener: a throw there is this
    // request's (answered 500 above), not an uncaught exception.
    try {
      handler(req, res);
      if (request.body.length > 0) listeners.data?.(request.body);
      listeners.end?.();
    } catch (error) {
      reject(error);
    }
  });
}
