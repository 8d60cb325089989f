import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineContext } from "../context.ts";
import { Deliveries } from "../delivery/index.ts";
import type { IamApi } from "../iam/contract.ts";
import type { LogWriter } from "../logs/contract.ts";
import type { EngineOptions } from "../options.ts";
import { authorizeRequest, deniedMessage } from "../policy/authorize.ts";
import { createDispatcher } from "../service/index.ts";
import type { QueueSender } from "../sqs/contract.ts";
import type { CallingPrincipal, Service } from "../types.ts";
import { LambdaApi } from "./api.ts";
import { AsyncInvocationQueue, type AttemptResult } from "./async-queue.ts";
import { createTempCodeRoot, removeRetrying } from "./code-root.ts";
import type { InvokePermission, LambdaInvokeApi } from "./contract.ts";
import { destinationSender } from "./destinations.ts";
import { FunctionGoneError, RoleNotAssumableError } from "./errors.ts";
import { queueSettings } from "./event-invoke-config.ts";
import { executionRoleAssumable } from "./execution-role.ts";
import { parseFunctionReference } from "./function-name.ts";
import { type FunctionRecord, FunctionStore } from "./functions.ts";
import { FunctionJournal } from "./persistence.ts";
import { functionResourcePolicy } from "./policy.ts";
import { FunctionRunner } from "./runner.ts";
import { architectureNotice, RuntimeResolver, runtimeReport } from "./runtimes.ts";

/** Execution environments of all functions together, unless `lambda.maxEnvironments` says otherwise. */
const DEFAULT_MAX_ENVIRONMENTS = 16;
/** Idle execution environments are stopped after this long, as Lambda recycles them. */
const idleTimeoutMs = 5 * 60_000;

/** What Lambda needs from the other services. */
export interface LambdaDependencies {
  /** Execution roles and their trust policies. */
  iam: IamApi;
  /** Where function output goes. */
  logs: LogWriter;
  /** Where on-success/on-failure destinations and dead-letter queues that are queues are sent (SQS). */
  queues: QueueSender;
}

/** The Lambda service and the typed API it offers S3 (notifications) and the engine's host (failed events). */
export interface LambdaParts {
  service: Service;
  api: LambdaInvokeApi;
}

/**
 * Creates the engine's Lambda service: the REST-JSON API, the runner that executes Node.js functions in child
 * processes, and the asynchronous invocation queue, offered to other services as {@link LambdaInvokeApi}.
 */
export async function createLambdaService(
  context: EngineContext,
  options: EngineOptions,
  { iam, logs, queues }: LambdaDependencies,
): Promise<LambdaParts> {
  // Created on first use, so engines that never create a function leave nothing behind.
  let codeRoot: string | undefined;
  const codeRootDirectory = () => {
    if (codeRoot) return codeRoot;
    if (context.dataDir) {
      // With a data dir everything stays inside it, and a fixed path lets the next start remove what a killed
      // engine (kill -9 skips the exit hook) left behind; only one engine may use a data dir at a time.
      codeRoot = join(context.dataDir, "lambda-code");
      rmSync(codeRoot, removeRetrying);
      mkdirSync(codeRoot, { recursive: true });
    } else {
      codeRoot = createTempCodeRoot(tmpdir(), context.log);
    }
    return codeRoot;
  };
  const removeCodeRoot = () => {
    if (!codeRoot) return;
    try {
      rmSync(codeRoot, removeRetrying);
    } catch (error) {
      context.log(`lambda: could not remove the functions' unpacked code at ${codeRoot}: ${String(error)}`);
    }
    codeRoot = undefined;
  };
  // With IAM enforced, an execution role whose trust policy stops allowing Lambda fails new environments.
  const enforceTrust = options.enforceIam !== false;
  const runtimes = new RuntimeResolver({
    ...(options.lambda?.runtimeNodes ? { mapping: options.lambda.runtimeNodes } : {}),
    strict: options.lambda?.strictRuntime ?? false,
  });
  for (const resolution of runtimes.list())
    context.log(
      resolution.emulated
        ? `lambda: ${resolution.runtime} emulated on ${resolution.node.version}`
        : `lambda: ${resolution.runtime} on ${resolution.node.version} (${resolution.node.path})`,
    );
  context.log(`lambda: ${architectureNotice()}`);
  const runner = new FunctionRunner(context, {
    maxConcurrency: options.lambda?.maxConcurrency ?? 4,
    maxEnvironments: options.lambda?.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS,
    idleTimeoutMs,
    runtimes,
    logs,
    ...(options.lambda?.inspect ? { inspect: options.lambda.inspect } : {}),
    ...(enforceTrust ? { canAssumeRole: (roleArn: string) => executionRoleAssumable(iam, roleArn) } : {}),
  });
  // Also on an exit without stop() (a crashed script): no runtime may outlive the engine, and unpacked code must not
  // pile up in the temp directory.
  const onProcessExit = () => {
    runner.killAll();
    removeCodeRoot();
  };
  process.once("exit", onProcessExit);
  const store = new FunctionStore({
    region: context.region,
    accountId: context.accountId,
    codeRoot: codeRootDirectory,
    persistence: context.store ? await FunctionJournal.open(context.store) : undefined,
    onDeployment: (record) => runner.retireStale(record.name, record.deployment),
    log: (message) => context.log(message),
  });

  const runAttempt = async (
    functionName: string,
    payload: string,
    requestId: string,
  ): Promise<AttemptResult> => {
    await store.whenDeployed(functionName);
    try {
      const result = await runner.invoke(() => store.get(functionName)?.deployment, { requestId, payload });
      if (result.ok) return { ok: true, payload: result.payload };
      // Code that cannot even load will not load on a retry either, but AWS retries it anyway.
      return { ok: false, retryable: true, error: result.error };
    } catch (error) {
      if (error instanceof FunctionGoneError) {
        return {
          ok: false,
          retryable: false,
          statusCode: 404,
          error: {
            errorType: "ResourceNotFoundException",
            errorMessage: `Function not found: ${functionName}`,
          },
        };
      }
      // Retried like any failed attempt: the trust policy may be fixed before the retries run out.
      if (error instanceof RoleNotAssumableError) {
        return {
          ok: false,
          retryable: true,
          statusCode: 400,
          error: { errorType: "InvalidParameterValueException", errorMessage: error.message },
        };
      }
      throw error;
    }
  };
  const queue = new AsyncInvocationQueue({
    run: runAttempt,
    policy: {
      maxRetries: options.lambda?.maxRetries ?? 2,
      baseDelayMs: options.lambda?.retryBaseDelayMs ?? 200,
    },
    activity: (event) => context.events.activity(event),
    settings: (functionName) => queueSettings(store.get(functionName)?.eventInvokeConfig),
    onOutcome: destinationSender({
      accountId: context.accountId,
      lookup: (functionName) => store.get(functionName),
      // Read per delivery: a destination may be another function of this service (`api`, below).
      deliveries: new Deliveries(() => ({ sqs: queues, lambda: api })),
      log: (message) => context.log(message),
      activity: (event) => context.events.activity(event),
      failureDelivered: (outcome) => queue.handedOff(outcome.requestId),
    }),
  });

  // The function an asynchronous invocation or a delivery names: found first (a missing one is "not found"
  // whatever its qualifier), then unqualified or $LATEST, since the retry queue runs $LATEST: a version or
  // alias is refused, never run as $LATEST.
  const asyncTarget = (
    functionArn: string,
  ): { ok: true; record: FunctionRecord } | { ok: false; reason: string } => {
    const reference = parseFunctionReference(functionArn);
    const record = reference && store.get(reference.name);
    if (!reference || !record) return { ok: false, reason: `function not found: ${functionArn}` };
    if (reference.qualifier !== undefined && reference.qualifier !== "$LATEST")
      return {
        ok: false,
        reason: `${functionArn} names a version or alias; the embedded engine invokes $LATEST only asynchronously`,
      };
    return { ok: true, record };
  };
  // Asked once per delivery (the delivery module authorizes, then queues each copy with the grant) and at
  // configuration time. Every S3 event of a bucket asks the same question (about 36 µs to evaluate the stack's
  // policy), so a service principal's answer is kept per function record while its RevisionId stands, which
  // every change of its policy renews (AddPermission, RemovePermission, as on AWS). A caller's is not kept: its
  // identity policies change without the function's RevisionId.
  const permissions = new WeakMap<
    FunctionRecord,
    { revisionId: string; answers: Map<string, InvokePermission> }
  >();
  const invokePermission = (record: FunctionRecord, invoker: CallingPrincipal): InvokePermission => {
    let known = permissions.get(record);
    if (known?.revisionId !== record.revisionId) {
      known = { revisionId: record.revisionId, answers: new Map() };
      permissions.set(record, known);
    }
    const decide = (): InvokePermission => {
      const request = { principal: invoker, action: "lambda:InvokeFunction", resource: record.arn };
      const verdict = authorizeRequest(context.authorizer, request, functionResourcePolicy(record));
      return verdict.allowed ? { ok: true } : { ok: false, reason: deniedMessage(request, verdict) };
    };
    if (invoker.kind === "caller") return decide();
    const question = JSON.stringify([invoker.service, invoker.sourceArn, invoker.sourceAccount]);
    const cached = known.answers.get(question);
    if (cached) return cached;
    const answer = decide();
    // One entry per bucket that notifies the function; the bound only guards against an unusual many.
    if (known.answers.size >= 256) known.answers.clear();
    known.answers.set(question, answer);
    return answer;
  };
  /** The function `invoker` may invoke asynchronously, or why not: one lookup, one permission question. */
  const invocable = (
    functionArn: string,
    invoker: CallingPrincipal,
  ): { ok: true; record: FunctionRecord } | { ok: false; reason: string } => {
    const target = asyncTarget(functionArn);
    if (!target.ok) return target;
    const permission = invokePermission(target.record, invoker);
    return permission.ok ? target : permission;
  };
  const authorizeInvoke: LambdaInvokeApi["authorizeInvoke"] = (functionArn, invoker) => {
    const target = invocable(functionArn, invoker);
    if (!target.ok) return target;
    const functionName = target.record.name;
    return {
      ok: true,
      functionName,
      invoke: (payload, { delayMs, requestId } = {}) => ({
        requestId: queue.enqueue(functionName, payload, {
          ...(delayMs !== undefined ? { delayMs } : {}),
          ...(requestId !== undefined ? { requestId } : {}),
        }),
      }),
    };
  };
  const api: LambdaInvokeApi = {
    canInvoke: (functionArn, invoker) => {
      const target = invocable(functionArn, invoker);
      return target.ok ? { ok: true } : target;
    },
    authorizeInvoke,
    invokeAsync(functionArn, payload, { invoker, delayMs, requestId }) {
      const grant = authorizeInvoke(functionArn, invoker);
      if (!grant.ok) return grant;
      const queued = grant.invoke(payload, {
        ...(delayMs !== undefined ? { delayMs } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      });
      return { ok: true, requestId: queued.requestId, functionName: grant.functionName };
    },
    listFailedEvents: () => queue.listFailed(),
    redriveFailedEvent: (id) => queue.redrive(id),
    runtimes: () =>
      Object.fromEntries(
        runtimes.list().map((resolution) => [resolution.runtime, runtimeReport(resolution)]),
      ),
  };

  await store.load();
  const http = new LambdaApi({ context, iam, store, runner, queue, enforceTrust, runtimes });
  const service: Service = {
    signingName: "lambda",
    handle: createDispatcher(http.declaration(), context),
    close: async () => {
      queue.close();
      await runner.close();
      await store.flush();
      removeCodeRoot();
      process.off("exit", onProcessExit);
    },
  };
  return { service, api };
}
