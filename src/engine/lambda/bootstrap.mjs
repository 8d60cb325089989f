// Child side of a Lambda execution environment: loads the handler the way the Node.js runtime does and runs one
// invocation at a time for the parent (runner.ts), talking over its channel on fd 3 (channel.ts: one JSON message a
// line; a successful result's response follows its header as raw bytes). Plain JavaScript so the child
// starts with the bare Node binary (no TypeScript loader), which keeps cold starts short.
//
// Messages in:  { type: "init", file, format, exportPath, handler, compileCacheDir? }  |  { type: "invoke", requestId, payload, ... }
// Messages out: { type: "ready" } | { type: "initError", error } | { type: "log", ... } | { type: "output", ... }
//               | { type: "result", requestId, ok, payload | error, maxMemoryUsedMb }
import module, { createRequire } from "node:module";
import { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { format } from "node:util";

/** @type {((event: unknown, context: object, callback: Function) => unknown) | undefined} */
let handler;
/** @type {{ requestId: string } | undefined} */
let current;

const channel = new Socket({ fd: 3, readable: true, writable: true });
// The engine closing the channel (it stopped this environment) ends the runtime.
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(0));

// What is sent in one turn of the event loop (an invocation's log lines, then its result) goes out in one write:
// each write is a system call here and a wake-up of the engine there. Corked until the turn's ticks have run.
let corked = false;
function uncork() {
  corked = false;
  channel.uncork();
}
// A handler that calls process.exit() still gets the lines it wrote before out (libuv tries the write at once).
process.on("exit", () => {
  if (corked) uncork();
});

function send(message, callback) {
  if (!channel.writable) return callback?.();
  if (!corked) {
    corked = true;
    channel.cork();
    process.nextTick(uncork);
  }
  channel.write(`${JSON.stringify(message)}\n`, () => callback?.());
}

/** A successful result: its header, then the response as raw bytes (counted by the engine as they stream). */
function sendResult(header, payload) {
  const bytes = Buffer.from(payload, "utf8");
  send({ ...header, payloadBytes: bytes.length });
  if (channel.writable) channel.write(Buffer.concat([bytes, Buffer.from("\n")]));
}

// CloudWatch Logs' event limit; longer lines are cut (the parent cuts lines assembled from several writes).
const maxLineLength = 256 * 1024;
function cutLines(text) {
  if (text.length <= maxLineLength) return text;
  return text
    .split("\n")
    .map((line) => (line.length > maxLineLength ? line.slice(0, maxLineLength) : line))
    .join("\n");
}

// Everything the function prints goes to the parent over IPC, in order with the result that follows it.
function capture(stream) {
  return function write(chunk, encoding, callback) {
    const text =
      typeof chunk === "string"
        ? chunk
        : Buffer.from(chunk).toString(typeof encoding === "string" ? encoding : "utf8");
    send({ type: "output", stream, text: cutLines(text), requestId: current?.requestId });
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done);
    return true;
  };
}
process.stdout.write = capture("stdout");
process.stderr.write = capture("stderr");

const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => {
    let message = format(...args);
    if (method === "trace") message += `\n${(new Error().stack ?? "").split("\n").slice(2).join("\n")}`;
    if (message.length > maxLineLength) message = message.slice(0, maxLineLength);
    send({ type: "log", level, message, time: Date.now(), requestId: current?.requestId });
  };
}

function toErrorPayload(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name && error.name !== "Error" ? error.name : error.constructor?.name || "Error",
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n"),
    };
  }
  if (typeof error === "string") return { errorType: "string", errorMessage: error, trace: [] };
  let message;
  try {
    message = JSON.stringify(error);
  } catch {
    message = String(error);
  }
  return { errorType: typeof error, errorMessage: message ?? String(error), trace: [] };
}

// The resident set size now; the parent keeps the maximum. Not getrusage's ru_maxrss: Linux carries it across
// fork and exec, so a child of a large engine process would start "over" its memory size.
function maxMemoryUsedMb() {
  return Math.round(process.memoryUsage.rss() / (1024 * 1024));
}

async function loadModule(file, moduleFormat) {
  if (moduleFormat === "cjs") {
    const require = createRequire(file);
    try {
      return require(file);
    } catch (error) {
      // A `.js` file with ESM syntax and no `"type": "module"`: the runtime falls back to import().
      if (error?.code !== "ERR_REQUIRE_ESM" && error?.code !== "ERR_REQUIRE_ASYNC_MODULE") throw error;
    }
  }
  return import(pathToFileURL(file).href);
}

// What the nodejs24.x runtime answers at init for a handler that declares a callback (AWS_EXECUTION_ENV names the
// runtime, as the runtime interface client reads it); nodejs22.x and older still run such handlers.
const callbackRemovedMessage =
  "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.";
const runtimeMajor = Number(
  /^AWS_Lambda_nodejs(\d+)\.x$/.exec(process.env.AWS_EXECUTION_ENV ?? "")?.[1] ?? 0,
);

async function init(message) {
  // Node 22.1+: compiled code is cached for the next environment of this deployment (see environment.ts).
  if (message.compileCacheDir) module.enableCompileCache?.(message.compileCacheDir);
  let loaded;
  try {
    loaded = await loadModule(message.file, message.format);
  } catch (error) {
    const payload = toErrorPayload(error);
    if (error instanceof SyntaxError) {
      payload.errorType = "Runtime.UserCodeSyntaxError";
      payload.errorMessage = `SyntaxError: ${error.message}`;
    } else if (error?.code === "MODULE_NOT_FOUND" || error?.code === "ERR_MODULE_NOT_FOUND") {
      payload.errorType = "Runtime.ImportModuleError";
      payload.errorMessage = `Error: ${error.message}`;
    }
    return send({ type: "initError", error: payload });
  }
  let target = loaded;
  for (const part of message.exportPath) target = target == null ? undefined : target[part];
  if (typeof target !== "function" && loaded?.default && typeof loaded.default === "object") {
    // CommonJS loaded through import(): named exports may only exist on `default`.
    target = loaded.default;
    for (const part of message.exportPath) target = target == null ? undefined : target[part];
  }
  if (typeof target !== "function") {
    return send({
      type: "initError",
      error: {
        errorType: "Runtime.HandlerNotFound",
        errorMessage: `${message.handler.split("/").pop()} is undefined or not exported`,
        trace: [],
      },
    });
  }
  if (runtimeMajor >= 24 && target.length >= 3) {
    return send({
      type: "initError",
      error: {
        errorType: "Runtime.CallbackHandlerDeprecated",
        errorMessage: callbackRemovedMessage,
        trace: [],
      },
    });
  }
  handler = target;
  // Written now: environments end with SIGKILL, which skips the write Node would do at exit.
  if (message.compileCacheDir) module.flushCompileCache?.();
  // The parent sees the launcher's pid; memory is read from the runtime's own.
  send({ type: "ready", pid: process.pid });
}

function createContext(message) {
  const env = process.env;
  const context = {
    awsRequestId: message.requestId,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    clientContext: message.clientContext,
    identity: undefined,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  return context;
}

async function invoke(message) {
  current = message;
  const context = createContext(message);
  let outcome;
  try {
    const event = message.payload === "" ? {} : JSON.parse(message.payload);
    const value = await new Promise((resolve, reject) => {
      let settled = false;
      const callback = (error, result) => {
        if (settled) return;
        settled = true;
        if (error !== null && error !== undefined) reject(error);
        else resolve(result);
      };
      // Legacy context methods, still used by old handlers.
      context.succeed = (result) => callback(null, result);
      context.fail = (error) => callback(error ?? "handled");
      context.done = (error, result) => callback(error, result);
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") {
        returned.then(
          (result) => callback(null, result),
          (error) => callback(error ?? new Error("Promise rejected with a falsy reason")),
        );
      } else if (handler.length < 3) {
        // A synchronous handler that takes no callback: its return value is ignored by the runtime.
        callback(null, null);
      }
    });
    const payload = JSON.stringify(value === undefined ? null : value);
    outcome = { ok: true, payload: payload ?? "null" };
  } catch (error) {
    outcome = { ok: false, error: toErrorPayload(error) };
  }
  current = undefined;
  const header = { type: "result", requestId: message.requestId, maxMemoryUsedMb: maxMemoryUsedMb() };
  if (outcome.ok) sendResult({ ...header, ok: true }, outcome.payload);
  else send({ ...header, ...outcome });
}

// An error nobody awaited ends the environment, as on AWS; report it for the running invocation first.
function fatal(errorType) {
  return (error) => {
    const payload = toErrorPayload(error);
    if (errorType) {
      payload.errorType = errorType;
      payload.errorMessage = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    const requestId = current?.requestId;
    send(
      {
        type: "log",
        level: "ERROR",
        message: `Uncaught Exception \t${JSON.stringify(payload)}`,
        time: Date.now(),
        requestId,
      },
      () => {
        if (!requestId) return process.exit(129);
        send(
          {
            type: "result",
            requestId,
            ok: false,
            fatal: true,
            error: payload,
            maxMemoryUsedMb: maxMemoryUsedMb(),
          },
          () => process.exit(129),
        );
      },
    );
  };
}
process.on("uncaughtException", fatal(undefined));
process.on("unhandledRejection", fatal("Runtime.UnhandledPromiseRejection"));

function onMessage(message) {
  if (message?.type === "init") void init(message);
  else if (message?.type === "invoke") void invoke(message);
}

let pending = "";
channel.setEncoding("utf8");
channel.on("data", (text) => {
  const lines = (pending + text).split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) if (line !== "") onMessage(JSON.parse(line));
});
