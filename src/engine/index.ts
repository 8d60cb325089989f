import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type EngineBase, type EngineContext, EngineEventBus, FaultInjector } from "./context.ts";
import { registerControlRoutes } from "./control.ts";
import { CredentialStore, persistedSessionSecret } from "./credentials.ts";
import { checkDynamoDbStore, createDynamoDbService } from "./dynamodb/index.ts";
import { DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, Edge } from "./edge.ts";
import { registerHealthRoutes } from "./health.ts";
import { createIamService } from "./iam/index.ts";
import {
  findStageScripts,
  type InitHookOptions,
  type InitScript,
  InitState,
  runStageScripts,
} from "./init-hooks.ts";
import { createLambdaService } from "./lambda/index.ts";
import { EMBEDDED, likeLocalStack } from "./like-localstack.ts";
import { createLogsService } from "./logs/index.ts";
import type { EngineOptions } from "./options.ts";
import { type EngineApis, startPlugins } from "./plugin.ts";
import { engineServices } from "./registry.ts";
import { guardSettings } from "./request-guard.ts";
import { DEFAULT_MAX_BUFFERED_REQUEST_BYTES, RequestBudget } from "./request-limits.ts";
import { createS3Service } from "./s3/index.ts";
import { createSqsService } from "./sqs/index.ts";
import { DurableStore } from "./store/index.ts";
import { createStsService } from "./sts/index.ts";
import { stsSection } from "./sts/section.ts";
import type { Service } from "./types.ts";

export type { EngineOptions } from "./options.ts";
export type { EngineApis, EnginePlugin, EnginePluginHost, StartedPlugin } from "./plugin.ts";

export const DEFAULT_ENGINE_PORT = 4566;
export const DEFAULT_ACCOUNT_ID = "000000000000";
export const DEFAULT_REGION = "us-east-1";

/** A running engine. */
export interface Engine {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly context: EngineContext;
  readonly edge: Edge;
  /** The typed in-process APIs the services offer (what the services themselves were wired with). */
  readonly apis: EngineApis;
  /** Marks LocalStack-style init as completed (`/_localstack/init/ready`). */
  markReady(): void;
  /**
   * Runs `<initDir>/ready.d` as LocalStack's init runner does (see init-hooks.ts), with `awslocal` and
   * AWS_ENDPOINT_URL pointing at this engine, then completes the READY stage whatever the scripts' outcome.
   */
  runReadyHooks(
    initDir: string,
    options?: Pick<InitHookOptions, "awsCli" | "env" | "onOutput">,
  ): Promise<InitScript[]>;
  stop(): Promise<void>;
}

/** Error raised when the engine cannot start (port taken, backend missing). */
export class EngineStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineStartError";
  }
}

/**
 * Starts the embedded, LocalStack-compatible engine: one edge on loopback serving S3, DynamoDB, STS, IAM,
 * Lambda, CloudWatch Logs and SQS.
 *
 * @example
 * const engine = await startEngine({ port: 0 });
 * const s3 = new S3Client({ endpoint: engine.endpoint, forcePathStyle: true });
 * await engine.stop();
 */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const region = options.region ?? DEFAULT_REGION;
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  let endpoint = "";
  const log = options.log ?? (() => undefined);
  let compat = EMBEDDED;
  try {
    if (options.like === "localstack") compat = likeLocalStack(process.env);
  } catch (cause) {
    throw startError(cause, options.port);
  }
  const enforceIam = compat.enforceIam && options.enforceIam !== false;
  const store = dataDir ? new DurableStore(dataDir, options.notice ?? log) : undefined;
  await store?.lock().catch((cause: unknown) => {
    throw startError(cause, options.port);
  });
  // From here a start that fails lets the data directory go (its lock, any journal opened) before it throws.
  const failedStart = async (cause: unknown): Promise<never> => {
    await store?.close().catch(() => undefined);
    throw startError(cause, options.port);
  };
  const sessionSecret =
    store && stsSection.storage
      ? await persistedSessionSecret(store, stsSection.storage.directory).catch(failedStart)
      : undefined;
  const base: EngineBase = {
    accountId,
    region,
    endpoint: () => endpoint,
    dataDir,
    store,
    events: new EngineEventBus(),
    // Sessions are checked where IAM is: without it, as on LocalStack, no credentials are.
    credentials: new CredentialStore(accountId, {
      enforce: enforceIam,
      ...(sessionSecret ? { secret: sessionSecret } : {}),
    }),
    faults: new FaultInjector(options.faults),
    log,
  };
  const resolvedOptions: EngineOptions = {
    ...options,
    dataDir,
    accountId,
    region,
    compat,
    enforceIam,
    lambda: {
      ...options.lambda,
      ...(options.lambda?.retryBaseDelayMs === undefined && compat.lambdaRetryBaseDelayMs !== undefined
        ? { retryBaseDelayMs: compat.lambdaRetryBaseDelayMs }
        : {}),
    },
  };
  await checkDynamoDbStore(store, resolvedOptions).catch(failedStart);
  // IAM is the authorizer every other service checks callers with, so it is made first, from the base context.
  const iam = await createIamService(base, resolvedOptions).catch(failedStart);
  const context: EngineContext = { ...base, authorizer: iam.authorizer };
  const edge = new Edge(context, {
    guard: guardSettings({
      boundHost: options.host ?? "127.0.0.1",
      extraHosts: options.allowedHosts ?? [],
      corsOrigins: options.corsOrigins ?? [],
      env: process.env,
    }),
    headersTimeoutMs: options.timeouts?.headersMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    bodyIdleTimeoutMs: options.timeouts?.bodyIdleMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS,
    budget: new RequestBudget(options.maxBufferedRequestBytes ?? DEFAULT_MAX_BUFFERED_REQUEST_BYTES),
    registry: engineServices,
  });
  const init = new InitState();
  const stopping = new AbortController();
  const services: Service[] = [];
  const run = <T extends Service>(service: T): T => {
    services.push(service);
    edge.addService(service);
    return service;
  };
  let stopPlugins = async (): Promise<void> => undefined;
  const stopServices = async () => {
    // Reverse creation order: S3 stops emitting events, then Lambda stops invoking, before what they call closes.
    for (const service of [...services].reverse()) await service.close?.();
    await store?.close();
  };
  try {
    // Each service gets the typed APIs it declares it needs; what it needs is created before it.
    run(iam.service);
    run(await createStsService(context, resolvedOptions, { iam: iam.api }));
    const logs = await createLogsService(context, resolvedOptions);
    run(logs.service);
    run(await createDynamoDbService(context, resolvedOptions));
    const sqs = run(await createSqsService(context, resolvedOptions, { iam: iam.api }));
    const lambda = await createLambdaService(context, resolvedOptions, {
      iam: iam.api,
      logs: logs.api,
      queues: sqs.queueSender,
    });
    run(lambda.service);
    const s3 = run(
      await createS3Service(context, resolvedOptions, { lambda: lambda.api, sqs: sqs.queueSender }),
    );
    const apis: EngineApis = { iam: iam.api, logs: logs.api, lambda: lambda.api, sqs: sqs.queueSender, s3 };
    registerHealthRoutes(edge, init, compat, () => ({
      region,
      // Injected faults, so clients (`pipeline status`, the dashboard, verify's report) can say they are on.
      faults: { ...(options.faults ?? {}) },
      dynamodb_backend: resolvedOptions.dynamodbBackend ?? "dynalite",
      enforce_iam: resolvedOptions.enforceIam !== false,
      persistence: dataDir ?? false,
      // Which Node runs each Node.js runtime, and which are emulated on the engine's own Node.
      lambda_runtimes: lambda.api.runtimes(),
    }));
    // LocalStack has no control API: like it, a client finds no failed-event list here.
    if (compat.engineRoutes) registerControlRoutes(edge, lambda.api);
    // Plugins (the dashboard under `pipeline up`) mount their routes before the edge listens.
    stopPlugins = await startPlugins(options.plugins ?? [], { edge, context, apis });
    const port = await edge.listen(options.port ?? DEFAULT_ENGINE_PORT, options.host ?? "127.0.0.1");
    endpoint = `http://127.0.0.1:${port}`;
    return {
      endpoint,
      port,
      context,
      edge,
      apis,
      markReady: () => init.complete(),
      runReadyHooks: async (initDir, hookOptions = {}) =>
        runStageScripts(init, "READY", await findStageScripts(initDir, "READY"), {
          ...hookOptions,
          endpoint,
          region,
          signal: stopping.signal,
        }),
      stop: async () => {
        stopping.abort();
        await stopPlugins();
        await edge.close();
        await stopServices();
      },
    };
  } catch (cause) {
    await stopPlugins();
    await stopServices().catch(() => undefined);
    throw startError(cause, options.port);
  }
}

function startError(cause: unknown, port: number | undefined): EngineStartError {
  const message =
    (cause as NodeJS.ErrnoException).code === "EADDRINUSE"
      ? `port ${port ?? DEFAULT_ENGINE_PORT} is already in use`
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new EngineStartError(`engine could not start: ${message}`, { cause });
}
