import { randomUUID } from "node:crypto";
import type { EngineContext } from "../context.ts";
import type { LogEventInput, LogWriter } from "../logs/contract.ts";
import {
  type Deployment,
  ExecutionEnvironment,
  type InvocationOutcome,
  type InvokeRequest,
} from "./environment.ts";
import {
  ConcurrencyLimitError,
  FunctionGoneError,
  FunctionInitError,
  RoleNotAssumableError,
  RunnerClosedError,
} from "./errors.ts";
import {
  endLine,
  FunctionLogSink,
  formatConsoleLine,
  type LogDestination,
  logGroupName,
  newLogStreamName,
  reportLine,
  startLine,
} from "./function-logs.ts";
import { resolveHandler } from "./handler-resolution.ts";
import { InspectorPort } from "./inspector-port.ts";
import {
  type RuntimeLaunch,
  type RuntimeResolver,
  RuntimeUnavailableError,
  runtimeLaunch,
} from "./runtimes.ts";

/** What the runner reports for one invocation. */
export type InvocationResult = InvocationOutcome & {
  requestId: string;
  cold: boolean;
  /** This invocation's log text (START … REPORT), for `X-Amz-Log-Type: Tail`. */
  logText: string;
};

export interface RunnerOptions {
  /** Execution environments per function at most; further invocations wait. */
  maxConcurrency: number;
  /**
   * Execution environments of all functions together at most (the engine's account concurrency). At the bound an
   * idle environment of another function is stopped to make room; with none idle, a synchronous invocation is
   * throttled ({@link ConcurrencyLimitError}) and an asynchronous one waits.
   */
  maxEnvironments: number;
  /** Idle environments older than this are stopped. */
  idleTimeoutMs: number;
  /**
   * Whether Lambda can assume an execution role now; asked before each new environment starts (warm ones keep
   * the credentials they were given, as on AWS). Absent, every role can be assumed.
   */
  canAssumeRole?: (roleArn: string) => boolean;
  /** Which Node binary runs each runtime. */
  runtimes: RuntimeResolver;
  /** Where function output goes (CloudWatch Logs). */
  logs: LogWriter;
  /**
   * The function whose runtime runs under the Node inspector on 127.0.0.1:`port`. A port has one holder, so that
   * function gets one environment (concurrency 1, further invocations wait), and a new one starts only once the
   * previous process has exited. Its init and invocation timeouts are lifted while inspect is on: the engine cannot
   * see from outside whether a debugger is attached or paused (Node says so on connect, not on detach), and a
   * breakpoint must not end in Sandbox.Timedout.
   */
  inspect?: { functionName: string; port: number };
}

export interface InvokeOptions {
  requestId?: string;
  payload: string;
  clientContext?: unknown;
  /** Throw {@link ConcurrencyLimitError} rather than wait when every environment of the engine is busy. */
  throttle?: boolean;
}

interface Pool {
  environments: Set<ExecutionEnvironment>;
  /** Number of environments being started (they count against the concurrency bound). */
  starting: number;
  waiters: Array<() => void>;
}

/** Each version of a function has its own environments (`name` for $LATEST, `name:3` for version 3). */
const poolKey = (deployment: Deployment) =>
  deployment.qualifier === undefined
    ? deployment.functionName
    : `${deployment.functionName}:${deployment.qualifier}`;

/** How long a stopped environment keeps its slot at most, should its exit never be reported. */
const stoppedExitBoundMs = 2_000;
/** How long closing waits for the killed processes to be gone (a SIGKILLed process normally goes in milliseconds). */
const closeExitBoundMs = 5_000;

/**
 * One invocation as its environment receives it, with its log: each line is kept (for the LogResult tail) and written
 * to the function's log stream when its role may write there. A class, not a closure made per invocation: run from
 * source, tsx names every closure as it is made (test/e2e/request-path-names.test.ts).
 */
class Invocation implements InvokeRequest {
  readonly requestId: string;
  readonly payload: string;
  readonly clientContext: unknown;
  readonly #lines: LogEventInput[];
  readonly #written: { sink: FunctionLogSink; destination: LogDestination } | undefined;

  constructor(
    request: Omit<InvokeRequest, "onLog">,
    lines: LogEventInput[],
    written: { sink: FunctionLogSink; destination: LogDestination } | undefined,
  ) {
    this.requestId = request.requestId;
    this.payload = request.payload;
    this.clientContext = request.clientContext;
    this.#lines = lines;
    this.#written = written;
  }

  onLog(line: LogEventInput): void {
    this.#lines.push(line);
    this.#written?.sink.write(this.#written.destination, [line]);
  }
}

/**
 * Runs invocations in execution environments: reuses warm ones, starts new ones up to the per-function concurrency
 * bound (queueing beyond it), binds each environment to one deployment so code updates never affect running
 * invocations, and writes START/END/REPORT and the function's output to `/aws/lambda/<function>`.
 */
export class FunctionRunner {
  readonly #context: EngineContext;
  readonly #options: RunnerOptions;
  readonly #pools = new Map<string, Pool>();
  readonly #logs: FunctionLogSink;
  readonly #reaper: NodeJS.Timeout;
  /** The role identity of each environment's credentials (decides whether its logs may be written). */
  readonly #callers = new WeakMap<ExecutionEnvironment, LogDestination["caller"]>();
  /** Environments handed to an invocation; reserved synchronously so two invocations never share one. */
  readonly #leased = new WeakSet<ExecutionEnvironment>();
  /** Invocations waiting for an engine-wide environment slot. */
  readonly #slotWaiters: Array<() => void> = [];
  /**
   * Environments stopped to free their slot whose processes have not exited yet: they keep the slot until they
   * have, so the processes alive never outnumber the cap (a SIGKILLed process takes a moment to go). Each with the
   * timer that frees the slot anyway should the exit never be reported.
   */
  readonly #stopping = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  /** Every environment whose process may be alive, from its spawn (init included) until its process is gone. */
  readonly #live = new Set<ExecutionEnvironment>();
  readonly #inspectorPort: InspectorPort | undefined;
  #closed = false;

  constructor(context: EngineContext, options: RunnerOptions) {
    this.#context = context;
    this.#options = options;
    this.#logs = new FunctionLogSink(context, options.logs);
    this.#inspectorPort = options.inspect ? new InspectorPort(options.inspect.port) : undefined;
    this.#reaper = setInterval(() => this.#reapIdle(), Math.min(30_000, options.idleTimeoutMs));
    this.#reaper.unref();
  }

  /**
   * Invokes the function's current deployment (read when an environment is assigned, so an invocation queued
   * before a code update runs the new code). `current` returns undefined once the function is deleted.
   *
   * @throws RoleNotAssumableError when a new environment is needed and the execution role cannot be assumed.
   */
  async invoke(current: () => Deployment | undefined, options: InvokeOptions): Promise<InvocationResult> {
    const requestId = options.requestId ?? randomUUID();
    const first = current();
    if (!first) throw new FunctionGoneError("(deleted before the invocation started)");
    const functionName = first.functionName;
    const lease = await this.#acquire(poolKey(first), current, options.throttle === true);
    const logLines: LogEventInput[] = [];
    if ("error" in lease) {
      return this.#initFailure(lease.deployment, lease.error, requestId, lease.destination, logLines);
    }
    const environment = lease.environment;
    const cold = environment.takeColdStart();
    const deployment = environment.deployment;
    const destination = this.#destination(environment, lease.caller);
    const invocation = new Invocation(
      { requestId, payload: options.payload, clientContext: options.clientContext },
      logLines,
      this.#logs.canWrite(destination) ? { sink: this.#logs, destination } : undefined,
    );
    this.#context.events.activity({
      kind: "invoke.start",
      functionName,
      requestId,
      cold,
      codeSha256: deployment.codeSha256,
    });
    invocation.onLog({ timestamp: Date.now(), message: startLine(requestId) });
    let outcome: InvocationOutcome;
    try {
      outcome = await environment.invoke(invocation);
    } finally {
      this.#release(environment, current());
    }
    if (!outcome.ok && outcome.kind === "handler") {
      invocation.onLog({
        timestamp: Date.now(),
        message: formatConsoleLine(
          Date.now(),
          requestId,
          "ERROR",
          `Invoke Error \t${JSON.stringify(outcome.error)}`,
        ),
      });
    }
    invocation.onLog({ timestamp: Date.now(), message: endLine(requestId) });
    invocation.onLog({
      timestamp: Date.now(),
      message: reportLine({
        requestId,
        durationMs: outcome.durationMs,
        memorySizeMb: deployment.memorySizeMb,
        maxMemoryUsedMb: outcome.maxMemoryUsedMb,
        ...(cold && environment.initDurationMs !== undefined
          ? { initDurationMs: environment.initDurationMs }
          : {}),
      }),
    });
    this.#context.events.activity({
      kind: "invoke.end",
      functionName,
      requestId,
      cold,
      durationMs: Math.round(outcome.durationMs * 100) / 100,
      outcome: outcome.ok ? "success" : outcome.kind === "handler" ? "error" : outcome.kind,
      ...(outcome.ok ? {} : { error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` }),
    });
    return { ...outcome, requestId, cold, logText: logLines.map((line) => line.message).join("\n") };
  }

  #initFailure(
    deployment: Deployment,
    error: FunctionInitError,
    requestId: string,
    destination: LogDestination,
    logLines: LogEventInput[],
  ): InvocationResult {
    const writable = this.#logs.canWrite(destination);
    const now = Date.now();
    const payload = { errorType: error.errorType, errorMessage: error.message, trace: error.trace };
    const lines = [
      formatConsoleLine(now, undefined, "ERROR", `Uncaught Exception \t${JSON.stringify(payload)}`),
      `INIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\tError Type: ${error.errorType}`,
      startLine(requestId),
      endLine(requestId),
      reportLine({ requestId, durationMs: 0, memorySizeMb: deployment.memorySizeMb, maxMemoryUsedMb: 0 }),
    ].map((message) => ({ timestamp: now, message }));
    logLines.push(...lines);
    if (writable) this.#logs.write(destination, lines);
    this.#context.events.activity({
      kind: "invoke.end",
      functionName: deployment.functionName,
      requestId,
      cold: true,
      durationMs: 0,
      outcome: "init-error",
      error: `${error.errorType}: ${error.message}`,
    });
    return {
      ok: false,
      kind: "init",
      error: payload,
      durationMs: 0,
      maxMemoryUsedMb: 0,
      requestId,
      cold: true,
      logText: logLines.map((line) => line.message).join("\n"),
    };
  }

  #destination(environment: ExecutionEnvironment, caller: LogDestination["caller"]): LogDestination {
    return {
      groupName: logGroupName(environment.deployment.functionName),
      streamName: environment.logStreamName,
      caller,
    };
  }

  #pool(functionName: string): Pool {
    let pool = this.#pools.get(functionName);
    if (!pool) {
      pool = { environments: new Set(), starting: 0, waiters: [] };
      this.#pools.set(functionName, pool);
    }
    return pool;
  }

  async #acquire(
    functionName: string,
    current: () => Deployment | undefined,
    throttle: boolean,
  ): Promise<
    | { environment: ExecutionEnvironment; caller: LogDestination["caller"] }
    | { error: FunctionInitError; deployment: Deployment; destination: LogDestination }
  > {
    const pool = this.#pool(functionName);
    for (;;) {
      if (this.#closed) throw new RunnerClosedError();
      const deployment = current();
      if (!deployment) throw new FunctionGoneError(functionName);
      for (const environment of pool.environments) {
        if (this.#leased.has(environment) || environment.dead) continue;
        if (environment.deployment.id === deployment.id) {
          this.#leased.add(environment);
          return { environment, caller: this.#callerOf(environment) };
        }
        // An idle environment of an older deployment frees its slot for the new code.
        this.#retire(pool, environment);
      }
      const concurrency = this.#inspected(functionName) ? 1 : this.#options.maxConcurrency;
      if (pool.environments.size + pool.starting < concurrency) {
        const slot = this.#slot();
        if (slot === "free") return this.#start(pool, deployment);
        if (slot === "none" && throttle) throw new ConcurrencyLimitError(this.#options.maxEnvironments);
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
        continue;
      }
      await new Promise<void>((resolve) => pool.waiters.push(resolve));
    }
  }

  /**
   * Whether one more environment may start: `free` below the engine-wide bound; `freeing` when a stopped
   * environment's process has yet to exit, or once the idle environment (of any function) used longest ago is
   * stopped for it (its exit wakes a waiter); `none` when every environment is busy.
   */
  #slot(): "free" | "freeing" | "none" {
    let total = this.#stopping.size;
    let idlest: { pool: Pool; environment: ExecutionEnvironment } | undefined;
    for (const pool of this.#pools.values()) {
      total += pool.environments.size + pool.starting;
      for (const environment of pool.environments) {
        if (this.#leased.has(environment)) continue;
        if (!idlest || environment.lastUsedAt < idlest.environment.lastUsedAt) idlest = { pool, environment };
      }
    }
    if (total < this.#options.maxEnvironments) return "free";
    if (idlest) this.#retire(idlest.pool, idlest.environment);
    return idlest || this.#stopping.size > 0 ? "freeing" : "none";
  }

  #callerOf(environment: ExecutionEnvironment): LogDestination["caller"] {
    const caller = this.#callers.get(environment);
    if (!caller) throw new Error("environment without credentials");
    return caller;
  }

  async #start(
    pool: Pool,
    deployment: Deployment,
  ): Promise<
    | { environment: ExecutionEnvironment; caller: LogDestination["caller"] }
    | { error: FunctionInitError; deployment: Deployment; destination: LogDestination }
  > {
    if (this.#options.canAssumeRole && !this.#options.canAssumeRole(deployment.roleArn))
      throw new RoleNotAssumableError(deployment.roleArn);
    pool.starting += 1;
    // No expiry: an environment may live as long as the engine, and its keys are given to its process alone.
    const credentials = this.#context.credentials.issueForRole(deployment.roleArn, deployment.functionName);
    const caller = credentials.caller;
    const runtimeVariables: Record<string, string> = {
      AWS_LAMBDA_FUNCTION_NAME: deployment.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: deployment.qualifier ?? "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployment.memorySizeMb),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_REGION: this.#context.region,
      AWS_DEFAULT_REGION: this.#context.region,
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupName(deployment.functionName),
      AWS_ENDPOINT_URL: this.#context.endpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      _HANDLER: deployment.handler,
    };
    const orphanLines: LogEventInput[] = [];
    let environment: ExecutionEnvironment | undefined;
    const orphan = (line: LogEventInput) => {
      // Output printed during init belongs to the environment's stream, before the first START.
      if (!environment) orphanLines.push(line);
      else {
        const destination = this.#destination(environment, caller);
        if (this.#logs.canWrite(destination)) this.#logs.write(destination, [line]);
      }
    };
    const inspector = this.#inspected(deployment.functionName)
      ? await this.#inspectorPort?.take()
      : undefined;
    // Once a process is spawned, its exit frees the inspector port; a failure before that frees it here.
    let spawning = false;
    try {
      const launch = this.#launch(deployment.runtime);
      Object.assign(runtimeVariables, launch.variables);
      orphanLines.push({ timestamp: Date.now(), message: launch.initLine });
      const handler = resolveHandler(deployment.codeDirectory, deployment.handler);
      spawning = true;
      environment = await ExecutionEnvironment.start(
        {
          deployment,
          handler,
          runtimeVariables,
          onOrphanLog: orphan,
          execPath: launch.execPath,
          compileCache: launch.compileCache,
          ...(inspector ? { inspector: inspector.address } : {}),
        },
        () => {
          inspector?.release();
          this.#exited(pool, environment);
        },
        (spawned) => {
          this.#live.add(spawned);
          void spawned.gone.then(() => this.#live.delete(spawned));
        },
      );
    } catch (error) {
      if (!spawning) inspector?.release();
      pool.starting -= 1;
      this.#wake(pool);
      const initError =
        error instanceof FunctionInitError
          ? error
          : new FunctionInitError("Runtime.Unknown", String(error), [], { cause: error });
      return {
        error: initError,
        deployment,
        destination: {
          groupName: logGroupName(deployment.functionName),
          streamName: newLogStreamName(),
          caller,
        },
      };
    }
    pool.starting -= 1;
    this.#callers.set(environment, caller);
    const started = environment;
    if (this.#closed) {
      started.kill();
      throw new RunnerClosedError();
    }
    pool.environments.add(started);
    this.#leased.add(started);
    if (orphanLines.length > 0) {
      const destination = this.#destination(started, caller);
      if (this.#logs.canWrite(destination)) this.#logs.write(destination, orphanLines);
    }
    return { environment: started, caller };
  }

  #inspected(functionName: string): boolean {
    return this.#options.inspect?.functionName === functionName;
  }

  /** The Node binary and AWS's runtime variables for a runtime; an unusable one fails the init as AWS would. */
  #launch(runtime: string): RuntimeLaunch {
    try {
      return runtimeLaunch(this.#options.runtimes, runtime);
    } catch (error) {
      if (error instanceof RuntimeUnavailableError)
        throw new FunctionInitError("Runtime.InvalidRuntime", error.message, [], { cause: error });
      throw error;
    }
  }

  #release(environment: ExecutionEnvironment, current: Deployment | undefined): void {
    this.#leased.delete(environment);
    const pool = this.#pools.get(poolKey(environment.deployment));
    if (!pool) return;
    if (environment.dead) pool.environments.delete(environment);
    // Old code retires as soon as its last invocation is done.
    else if (environment.deployment.id !== current?.id) this.#retire(pool, environment);
    this.#wake(pool);
  }

  #exited(pool: Pool, environment: ExecutionEnvironment | undefined): void {
    if (!environment) return;
    pool.environments.delete(environment);
    clearTimeout(this.#stopping.get(environment));
    this.#stopping.delete(environment);
    this.#wake(pool);
  }

  #retire(pool: Pool, environment: ExecutionEnvironment): void {
    pool.environments.delete(environment);
    if (!environment.dead) {
      const release = setTimeout(() => {
        if (this.#stopping.delete(environment)) this.#slotWaiters.shift()?.();
      }, stoppedExitBoundMs);
      release.unref();
      this.#stopping.set(environment, release);
    }
    environment.kill();
  }

  #wake(pool: Pool): void {
    pool.waiters.shift()?.();
    // An environment ended or went idle: a slot (or an idle environment to stop for one) may be free.
    this.#slotWaiters.shift()?.();
  }

  /** Stops idle environments that are not bound to `current` (after a code or configuration update). */
  retireStale(functionName: string, current: Deployment | undefined): void {
    const pool = this.#pools.get(functionName);
    if (!pool) return;
    for (const environment of pool.environments) {
      if (!this.#leased.has(environment) && environment.deployment.id !== current?.id)
        this.#retire(pool, environment);
    }
    // Waiters may now start environments on the new deployment.
    for (const waiter of pool.waiters.splice(0)) waiter();
  }

  /** Stops every environment of a deleted function; waiting invocations fail with {@link FunctionGoneError}. */
  removeFunction(functionName: string, version?: string): void {
    for (const [key, pool] of this.#pools) {
      const ofFunction = key === functionName || key.startsWith(`${functionName}:`);
      if (version === undefined ? !ofFunction : key !== `${functionName}:${version}`) continue;
      this.#pools.delete(key);
      // Stopped as any other: each keeps its slot until its process has exited.
      for (const environment of pool.environments) this.#retire(pool, environment);
      for (const waiter of pool.waiters.splice(0)) waiter();
    }
    for (const waiter of this.#slotWaiters.splice(0)) waiter();
  }

  /** Live environments of all functions. */
  totalEnvironments(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.environments.size + pool.starting;
    return total;
  }

  /** Live environments of a function (for tests and the dashboard). */
  environmentCount(functionName: string): number {
    return this.#pools.get(functionName)?.environments.size ?? 0;
  }

  #reapIdle(): void {
    const cutoff = Date.now() - this.#options.idleTimeoutMs;
    for (const pool of this.#pools.values()) {
      for (const environment of pool.environments) {
        if (!this.#leased.has(environment) && environment.lastUsedAt < cutoff)
          this.#retire(pool, environment);
      }
    }
  }

  /**
   * Kills every environment, those still in their init too, and settles once their processes are gone (at most
   * {@link closeExitBoundMs}), so their code directories can be removed; waiting invocations fail with
   * {@link RunnerClosedError}.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    this.killAll();
    for (const pool of this.#pools.values()) {
      for (const waiter of pool.waiters.splice(0)) waiter();
    }
    for (const waiter of this.#slotWaiters.splice(0)) waiter();
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#live].map((environment) => environment.gone)),
      new Promise<void>((resolve) => {
        bound = setTimeout(resolve, closeExitBoundMs);
      }),
    ]);
    clearTimeout(bound);
  }

  /** SIGKILLs every environment's processes at once (also from a synchronous exit hook, which cannot wait). */
  killAll(): void {
    for (const environment of this.#live) environment.kill();
  }
}
