import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import { ChannelDecoder, type ChildMessage, MAX_RESPONSE_BYTES } from "./channel.ts";
import { FunctionInitError } from "./errors.ts";
import { formatConsoleLine, newLogStreamName, timeoutLine, timeoutMessage } from "./function-logs.ts";
import type { ResolvedHandler } from "./handler-resolution.ts";
import { childNodeFlags, readPeakRssMb } from "./memory-limit.ts";
import { OutputLines } from "./output-lines.ts";
import { exitDescription, killGroup, runtimeExit, spawnRuntime } from "./runtime-process.ts";

/** The Node.js runtime gives up on init after 10 s on AWS. */
const initTimeoutMs = 10_000;
/** How often the parent reads a running child's peak RSS; no timer runs while an environment is idle. */
const memoryPollMs = 100;
/** What V8 prints before it aborts on a full heap (`--max-old-space-size` reached). */
const heapExhaustedMarker = "JavaScript heap out of memory";

/** One immutable version of a function's code and configuration; environments are bound to exactly one. */
export interface Deployment {
  /** Changes with every code or configuration update (the function's RevisionId at the time). */
  id: string;
  functionName: string;
  functionArn: string;
  /** The published version this deployment runs; absent for $LATEST. */
  qualifier?: string;
  runtime: string;
  handler: string;
  codeDirectory: string;
  codeSha256: string;
  timeoutSeconds: number;
  memorySizeMb: number;
  roleArn: string;
  environment: Record<string, string>;
}

/** An error as the runtime reports it in an Invoke response payload. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvocationOutcome =
  | { ok: true; payload: string; durationMs: number; maxMemoryUsedMb: number }
  | {
      ok: false;
      kind: "handler" | "timeout" | "crash" | "oom" | "init";
      error: FunctionErrorPayload;
      durationMs: number;
      maxMemoryUsedMb: number;
    };

export interface InvokeRequest {
  requestId: string;
  payload: string;
  clientContext?: unknown;
  /** Receives the function's log lines for this invocation, already formatted. */
  onLog(line: { timestamp: number; message: string }): void;
}

export interface EnvironmentSettings {
  deployment: Deployment;
  handler: ResolvedHandler;
  /** Variables the runtime sets (credentials, endpoint, names); merged under the function's own. */
  runtimeVariables: Record<string, string>;
  /** Receives lines printed outside any invocation (init-time output). */
  onOrphanLog(line: { timestamp: number; message: string }): void;
  /** The Node binary the runtime resolved to (runtimes.ts). */
  execPath: string;
  /**
   * Load the code with Node's module compile cache, kept beside the deployment's code directory: the first
   * environment of a deployment writes it, later ones (scale-out, after a crash or idle stop) read it.
   */
  compileCache: boolean;
  /** `127.0.0.1:<port>`: the runtime runs under the Node inspector there, with no init or invocation timeout. */
  inspector?: string;
}

interface Running {
  request: InvokeRequest;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  /** Polls the child's peak RSS against the memory size (absent where procfs is not available). */
  memoryTimer: NodeJS.Timeout | undefined;
  resolve(outcome: InvocationOutcome): void;
}

/**
 * One execution environment: a Node child process that has loaded one deployment's handler and runs one
 * invocation at a time. Timeouts, crashes and outgrowing the memory size end it; the runner then starts a
 * fresh one.
 */
export class ExecutionEnvironment {
  readonly id = randomUUID();
  readonly deployment: Deployment;
  readonly logStreamName = newLogStreamName();
  /** Set once the handler is loaded; reported as `Init Duration` on the first invocation. */
  initDurationMs: number | undefined;
  lastUsedAt = Date.now();
  #child: ChildProcess | undefined;
  /** fd 3 of the runtime (channel.ts). */
  #channel: Duplex | undefined;
  /** The runtime's own pid (the launcher's child), for memory readings; known once it reports ready. */
  #runtimePid: number | undefined;
  #running: Running | undefined;
  #dead = false;
  #coldPending = true;
  readonly #settings: EnvironmentSettings;
  readonly #lines = new OutputLines((line) => this.#emitRaw(line));
  #onExit: (() => void) | undefined;
  #processGone: () => void = () => {};
  /**
   * Settles once the runtime's process is gone, not only its launcher: the child's stdio pipes, which the runtime
   * holds too, have all closed (or it never started). Until then the runtime may still write to its directories.
   */
  readonly gone = new Promise<void>((resolve) => {
    this.#processGone = resolve;
  });
  /** Highest peak RSS (MB) read from procfs so far; 0 until the first read. */
  #peakRssMb = 0;
  /** False once procfs turned out to be missing (not Linux): memory is then only limited by the V8 heap cap. */
  #procfs = true;
  /** V8 reported a full heap on stderr; the abort that follows is an out-of-memory death. */
  #heapExhausted = false;

  private constructor(settings: EnvironmentSettings) {
    this.deployment = settings.deployment;
    this.#settings = settings;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Whether the next invocation is this environment's first (a cold start). */
  takeColdStart(): boolean {
    const cold = this.#coldPending;
    this.#coldPending = false;
    return cold;
  }

  /**
   * Forks the child and loads the handler; throws {@link FunctionInitError} when the code cannot be loaded.
   * `onSpawn` sees the environment before its init ends, so an owner shutting down can kill one still starting.
   */
  static async start(
    settings: EnvironmentSettings,
    onExit: () => void,
    onSpawn: (environment: ExecutionEnvironment) => void = () => {},
  ): Promise<ExecutionEnvironment> {
    const environment = new ExecutionEnvironment(settings);
    environment.#onExit = onExit;
    onSpawn(environment);
    try {
      await environment.#spawn();
    } finally {
      if (!environment.#child) environment.#processGone();
    }
    return environment;
  }

  async #spawn(): Promise<void> {
    const { deployment, handler } = this.#settings;
    const startedAt = performance.now();
    const child = spawnRuntime(this.#settings.execPath, {
      codeDirectory: deployment.codeDirectory,
      env: this.#variables(),
      // Never inherit the engine's flags (tsx loader, inspector, vitest workers); PIPELINE_LAMBDA_NODE_OPTIONS adds
      // flags on purpose (e.g. `--enable-source-maps`, `--cpu-prof`). The heap cap follows the memory size.
      nodeFlags: childNodeFlags(
        deployment.memorySizeMb,
        (process.env.PIPELINE_LAMBDA_NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean),
        deployment.environment.NODE_OPTIONS,
      ).concat(this.#settings.inspector ? [`--inspect=${this.#settings.inspector}`] : []),
    });
    this.#child = child;
    if (child.pid === undefined) this.#processGone();
    child.once("close", () => this.#processGone());
    const channel = child.stdio[3] as Duplex;
    this.#channel = channel;
    const decoder = new ChannelDecoder();
    child.stdout?.on("data", (chunk: Buffer) => this.#output("stdout", chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => this.#output("stderr", chunk.toString("utf8")));
    let settleInit: ((error?: FunctionInitError) => void) | undefined;
    const initialised = new Promise<void>((resolve, reject) => {
      settleInit = (error) => (error ? reject(error) : resolve());
    });
    const initTimer = this.#deadlineTimer(() => {
      settleInit?.(
        new FunctionInitError("Runtime.InitTimeout", `INIT timed out after ${initTimeoutMs / 1000} seconds`),
      );
      this.kill();
    }, initTimeoutMs);
    const onMessage = (message: ChildMessage) => {
      if (message.type === "ready") {
        this.#runtimePid = message.pid;
        this.initDurationMs = performance.now() - startedAt;
        settleInit?.();
      } else if (message.type === "initError") {
        settleInit?.(
          new FunctionInitError(message.error.errorType, message.error.errorMessage, message.error.trace),
        );
      } else {
        this.#message(message);
      }
    };
    channel.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === "message" || event.kind === "result") onMessage(event.message);
        else if (event.kind === "responseTooLarge") this.#responseTooLarge(event.message.requestId);
        else {
          const error = new FunctionInitError(
            "Runtime.Unknown",
            `The runtime broke its channel protocol: ${event.reason}`,
          );
          settleInit?.(error);
          this.#protocolViolation(event.reason);
        }
      }
    });
    // The pipe closes with the runtime; its errors (EPIPE after a kill) are the exit handler's to report.
    channel.on("error", () => {});
    child.on("error", (error) =>
      settleInit?.(new FunctionInitError("Runtime.ExitError", error.message, [], { cause: error })),
    );
    child.on("exit", (launcherCode, launcherSignal) => {
      // Whatever the runtime left behind (grandchildren it spawned) goes with it.
      killGroup(child);
      const { code, signal } = runtimeExit(launcherCode, launcherSignal);
      settleInit?.(
        new FunctionInitError(
          "Runtime.ExitError",
          `Runtime exited with error: ${exitDescription(code, signal)}`,
        ),
      );
      this.#exited(code, signal);
    });
    this.#send({
      type: "init",
      file: handler.file,
      format: handler.format,
      exportPath: handler.exportPath,
      handler: deployment.handler,
      ...(this.#settings.compileCache
        ? { compileCacheDir: `${deployment.codeDirectory}.compile-cache` }
        : {}),
    });
    try {
      await initialised;
    } catch (error) {
      this.kill();
      throw error;
    } finally {
      clearTimeout(initTimer);
      settleInit = undefined;
    }
  }

  #variables(): Record<string, string> {
    const { deployment, runtimeVariables } = this.#settings;
    // A function on Node 20 (nodejs20.x, or a runtime emulated on an engine of Node 20) would print the SDK's Node 20
    // notice in every function log, which AWS's own runtimes never show: it is switched off by its own flag.
    const inherited: Record<string, string> = {
      TZ: "UTC",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    for (const name of ["PATH", "HOME", "LANG"]) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    return {
      ...inherited,
      ...runtimeVariables,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
      LAMBDA_TASK_ROOT: deployment.codeDirectory,
      ...deployment.environment,
    };
  }

  /** Runs one invocation; never rejects (errors, timeouts and crashes are outcomes). */
  invoke(request: InvokeRequest): Promise<InvocationOutcome> {
    const child = this.#child;
    if (this.#dead || !child || this.#running) {
      return Promise.resolve({
        ok: false,
        kind: "crash",
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${request.requestId} Error: environment unavailable`,
        },
        durationMs: 0,
        maxMemoryUsedMb: 0,
      });
    }
    const { timeoutSeconds, functionArn } = this.deployment;
    const startedAt = performance.now();
    const deadline = Date.now() + timeoutSeconds * 1000;
    return new Promise<InvocationOutcome>((resolve) => {
      const timer = this.#deadlineTimer(() => this.#timedOut(), timeoutSeconds * 1000);
      const memoryTimer = this.#procfs ? setInterval(() => this.#checkMemory(), memoryPollMs) : undefined;
      this.#running = { request, startedAt, timer, memoryTimer, resolve };
      this.#send({
        type: "invoke",
        requestId: request.requestId,
        payload: request.payload,
        deadline,
        invokedFunctionArn: functionArn,
        clientContext: request.clientContext,
      });
    });
  }

  /** A timeout's timer; none under the inspector, where a breakpoint may pause init or a handler at length. */
  #deadlineTimer(onExpiry: () => void, ms: number): NodeJS.Timeout | undefined {
    return this.#settings.inspector ? undefined : setTimeout(onExpiry, ms);
  }

  #send(message: Record<string, unknown>): void {
    const channel = this.#channel;
    if (channel && !channel.destroyed) channel.write(`${JSON.stringify(message)}\n`);
  }

  /**
   * The function returned more than Invoke may answer: the invocation fails as on AWS, while the response's bytes
   * are dropped as they arrive (the decoder keeps none of them), and the environment stays.
   */
  #responseTooLarge(requestId: string): void {
    const running = this.#running;
    if (!running || running.request.requestId !== requestId) return;
    const errorMessage = `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`;
    running.request.onLog({
      timestamp: Date.now(),
      message: `RequestId: ${requestId} Error: ${errorMessage}\nFunction.ResponseSizeTooLarge`,
    });
    this.#finish({
      ok: false,
      kind: "handler",
      error: { errorType: "Function.ResponseSizeTooLarge", errorMessage },
      durationMs: performance.now() - running.startedAt,
      maxMemoryUsedMb: this.#peakRssMb,
    });
  }

  /**
   * The runtime wrote something on its channel that is no message of the protocol (the function's code can write
   * to fd 3): the running invocation fails and the environment, whose channel can no longer be trusted, ends.
   */
  #protocolViolation(reason: string): void {
    const running = this.#running;
    if (running) {
      const requestId = running.request.requestId;
      const errorMessage = `RequestId: ${requestId} Error: The runtime broke its channel protocol: ${reason}`;
      running.request.onLog({ timestamp: Date.now(), message: `${errorMessage}\nRuntime.Unknown` });
      this.#finish({
        ok: false,
        kind: "crash",
        error: { errorType: "Runtime.Unknown", errorMessage },
        durationMs: performance.now() - running.startedAt,
        maxMemoryUsedMb: this.#peakRssMb,
      });
    } else {
      this.#settings.onOrphanLog({
        timestamp: Date.now(),
        message: `The runtime broke its channel protocol: ${reason}; the environment was stopped`,
      });
    }
    this.kill();
  }

  #finish(outcome: InvocationOutcome): void {
    const running = this.#running;
    if (!running) return;
    clearTimeout(running.timer);
    clearInterval(running.memoryTimer);
    this.#flushPartial(running.request);
    this.#running = undefined;
    this.lastUsedAt = Date.now();
    running.resolve(outcome);
  }

  #timedOut(): void {
    const running = this.#running;
    if (!running) return;
    const { timeoutSeconds } = this.deployment;
    const requestId = running.request.requestId;
    running.request.onLog({
      timestamp: Date.now(),
      message: timeoutLine(Date.now(), requestId, timeoutSeconds),
    });
    this.#finish({
      ok: false,
      kind: "timeout",
      error: {
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${requestId} Error: ${timeoutMessage(timeoutSeconds)}`,
      },
      durationMs: timeoutSeconds * 1000,
      maxMemoryUsedMb: 0,
    });
    // The handler may still be running; the only safe way to stop it is to end the environment.
    this.kill();
  }

  #message(message: ChildMessage): void {
    const running = this.#running;
    if (message.type === "log") {
      const line = {
        timestamp: message.time,
        message: formatConsoleLine(message.time, message.requestId, message.level, message.message),
      };
      if (running && (message.requestId === undefined || message.requestId === running.request.requestId))
        running.request.onLog(line);
      else this.#settings.onOrphanLog(line);
    } else if (message.type === "output") {
      this.#output(message.stream, message.text);
    } else if (message.type === "result") {
      if (!running || running.request.requestId !== message.requestId) return;
      // The child's RSS at the end of the invocation, with the peaks polled while it ran (no /proc read on this
      // path: it is per invocation).
      this.#peakRssMb = Math.max(this.#peakRssMb, message.maxMemoryUsedMb);
      if (this.#peakRssMb > this.deployment.memorySizeMb) {
        this.#outOfMemory();
        return;
      }
      const durationMs = performance.now() - running.startedAt;
      const maxMemoryUsedMb = this.#peakRssMb;
      if (message.ok) {
        this.#finish({
          ok: true,
          payload: message.payload ?? "null",
          durationMs,
          maxMemoryUsedMb,
        });
      } else {
        this.#finish({
          ok: false,
          kind: message.fatal ? "crash" : "handler",
          error: message.error ?? { errorType: "Error", errorMessage: "unknown error" },
          durationMs,
          maxMemoryUsedMb,
        });
      }
    }
  }

  #output(stream: "stdout" | "stderr", text: string): void {
    if (stream === "stderr" && text.includes(heapExhaustedMarker)) this.#heapExhausted = true;
    this.#lines.push(stream, text);
  }

  #emitRaw(text: string): void {
    const entry = { timestamp: Date.now(), message: text };
    if (this.#running) this.#running.request.onLog(entry);
    else this.#settings.onOrphanLog(entry);
  }

  #flushPartial(request: InvokeRequest): void {
    for (const rest of this.#lines.flush()) request.onLog({ timestamp: Date.now(), message: rest });
  }

  #exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.#dead = true;
    const running = this.#running;
    // V8 aborts (SIGABRT) when the heap reaches --max-old-space-size; its message on stderr may still be in the
    // pipe, so the signal alone counts. Either way the function ran out of memory, which AWS reports as such.
    if (running && (signal === "SIGABRT" || this.#heapExhausted)) {
      this.#outOfMemory();
    } else if (running) {
      const requestId = running.request.requestId;
      const description = exitDescription(code, signal);
      running.request.onLog({
        timestamp: Date.now(),
        message: `RequestId: ${requestId} Error: Runtime exited with error: ${description}\nRuntime.ExitError`,
      });
      this.#finish({
        ok: false,
        kind: "crash",
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${description}`,
        },
        durationMs: performance.now() - running.startedAt,
        maxMemoryUsedMb: 0,
      });
    }
    this.#onExit?.();
    this.#onExit = undefined;
  }

  /**
   * Reads the child's peak RSS; past the memory size, ends the invocation as AWS does when its cgroup kills the
   * runtime. Returns whether it did.
   */
  #checkMemory(): boolean {
    const pid = this.#runtimePid;
    if (!this.#running || pid === undefined || this.#dead) return false;
    const peak = readPeakRssMb(pid);
    if (peak === undefined) {
      // No procfs here (or the child just exited, which its exit handler reports): stop polling.
      this.#procfs = false;
      clearInterval(this.#running.memoryTimer);
      return false;
    }
    this.#peakRssMb = Math.max(this.#peakRssMb, peak);
    if (this.#peakRssMb <= this.deployment.memorySizeMb) return false;
    this.#outOfMemory();
    return true;
  }

  /** Fails the running invocation with `Runtime.OutOfMemory` and kills the environment. */
  #outOfMemory(): void {
    const running = this.#running;
    if (!running) return;
    const requestId = running.request.requestId;
    // AWS's wording: the runtime was SIGKILLed by the sandbox, and Max Memory Used shows the whole memory size.
    const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`;
    running.request.onLog({ timestamp: Date.now(), message: `${errorMessage}\nRuntime.OutOfMemory` });
    this.#finish({
      ok: false,
      kind: "oom",
      error: { errorType: "Runtime.OutOfMemory", errorMessage },
      durationMs: performance.now() - running.startedAt,
      maxMemoryUsedMb: this.deployment.memorySizeMb,
    });
    this.kill();
  }

  /** Ends the runtime and every process it started, at once (timeouts, out of memory, retirement, shutdown). */
  kill(): void {
    this.#dead = true;
    const child = this.#child;
    if (child) killGroup(child);
  }
}
