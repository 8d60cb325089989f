import type { FunctionErrorPayload } from "./environment.ts";

/**
 * The runtime's channel to the engine (fd 3 of the runtime): newline-delimited JSON messages, and after a
 * successful `result` header the function's response as `payloadBytes` raw bytes and a newline. The runtime runs
 * the function's code, which can write anything to fd 3, so nothing read here is trusted: a line that is not a
 * known message, or longer than a message may be, is a protocol violation (the invocation fails, the environment
 * is replaced), and a response is counted as it streams and never buffered past the Invoke response limit.
 */

/** AWS's synchronous Invoke response limit ("Lambda quotas": 6 MB; the error names 6291556 bytes). */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** The longest message line: a log event (256 KB of text, cut by the runtime) with JSON escapes and its fields. */
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export type ChildMessage =
  | { type: "ready"; pid?: number }
  | { type: "initError"; error: FunctionErrorPayload }
  | { type: "log"; level: string; message: string; time: number; requestId?: string }
  | { type: "output"; stream: "stdout" | "stderr"; text: string; requestId?: string }
  | {
      type: "result";
      requestId: string;
      ok: boolean;
      payload?: string;
      /** With `ok`: the response follows as this many raw bytes. */
      payloadBytes?: number;
      error?: FunctionErrorPayload;
      fatal?: boolean;
      maxMemoryUsedMb: number;
    };

export type ChannelEvent =
  | { kind: "message"; message: ChildMessage }
  /** A `result` whose response was read whole (`payload` set from the raw bytes). */
  | { kind: "result"; message: ChildMessage & { type: "result" } }
  /** A `result` whose response is over {@link MAX_RESPONSE_BYTES}: its bytes are being dropped as they come. */
  | { kind: "responseTooLarge"; message: ChildMessage & { type: "result" }; bytes: number }
  | { kind: "violation"; reason: string };

type State =
  | { mode: "line"; chunks: Buffer[]; bytes: number }
  | {
      mode: "payload";
      header: ChildMessage & { type: "result" };
      /** Bytes still to come, the closing newline included. */
      remaining: number;
      /** Undefined while dropping an oversize response. */
      chunks: Buffer[] | undefined;
    }
  | { mode: "broken" };

/** Decodes the runtime's channel incrementally; after a violation it reads nothing more. */
export class ChannelDecoder {
  #state: State = { mode: "line", chunks: [], bytes: 0 };
  readonly #maxMessageBytes: number;
  readonly #maxResponseBytes: number;

  constructor(limits: { maxMessageBytes?: number; maxResponseBytes?: number } = {}) {
    this.#maxMessageBytes = limits.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#maxResponseBytes = limits.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  }

  push(chunk: Buffer): ChannelEvent[] {
    const events: ChannelEvent[] = [];
    let rest = chunk;
    while (rest.length > 0 && this.#state.mode !== "broken") {
      rest = this.#state.mode === "line" ? this.#line(rest, events) : this.#payload(rest, events);
    }
    return events;
  }

  #line(chunk: Buffer, events: ChannelEvent[]): Buffer {
    const state = this.#state as State & { mode: "line" };
    const end = chunk.indexOf(10);
    const part = end === -1 ? chunk : chunk.subarray(0, end);
    state.bytes += part.length;
    if (state.bytes > this.#maxMessageBytes) {
      return this.#violate(events, `a message longer than ${this.#maxMessageBytes} bytes`);
    }
    state.chunks.push(part);
    if (end === -1) return Buffer.alloc(0);
    const text = Buffer.concat(state.chunks).toString("utf8");
    this.#state = { mode: "line", chunks: [], bytes: 0 };
    const message = parseChildMessage(text);
    if (!message) return this.#violate(events, "a message that is not one the runtime sends");
    if (message.type === "result" && message.ok) {
      const bytes = message.payloadBytes;
      if (bytes === undefined) return this.#violate(events, "a result without its response");
      if (bytes > this.#maxResponseBytes) events.push({ kind: "responseTooLarge", message, bytes });
      this.#state = {
        mode: "payload",
        header: message,
        remaining: bytes + 1,
        chunks: bytes > this.#maxResponseBytes ? undefined : [],
      };
    } else events.push({ kind: "message", message });
    return chunk.subarray(end + 1);
  }

  #payload(chunk: Buffer, events: ChannelEvent[]): Buffer {
    const state = this.#state as State & { mode: "payload" };
    const taken = chunk.subarray(0, state.remaining);
    state.remaining -= taken.length;
    state.chunks?.push(taken);
    if (state.remaining > 0) return Buffer.alloc(0);
    const whole = state.chunks ? Buffer.concat(state.chunks) : undefined;
    this.#state = { mode: "line", chunks: [], bytes: 0 };
    if (whole && whole[whole.length - 1] !== 10)
      return this.#violate(events, "a response of the wrong length");
    if (whole) {
      events.push({
        kind: "result",
        message: { ...state.header, payload: whole.subarray(0, whole.length - 1).toString("utf8") },
      });
    }
    return chunk.subarray(taken.length);
  }

  #violate(events: ChannelEvent[], reason: string): Buffer {
    this.#state = { mode: "broken" };
    events.push({ kind: "violation", reason });
    return Buffer.alloc(0);
  }
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const optionalString = (value: unknown) => value === undefined || isString(value);

function errorPayload(value: unknown): FunctionErrorPayload | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { errorType, errorMessage, trace } = value as Record<string, unknown>;
  if (!isString(errorType) || !isString(errorMessage)) return undefined;
  const lines = Array.isArray(trace) ? trace.filter(isString) : undefined;
  return { errorType, errorMessage, ...(lines ? { trace: lines } : {}) };
}

/** One message line, checked field by field; undefined for anything else (garbage, unknown types, bad fields). */
function parseChildMessage(line: string): ChildMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case "ready":
      return { type: "ready", ...(isNumber(m.pid) ? { pid: m.pid } : {}) };
    case "initError": {
      const error = errorPayload(m.error);
      return error ? { type: "initError", error } : undefined;
    }
    case "log":
      if (!isString(m.level) || !isString(m.message) || !isNumber(m.time) || !optionalString(m.requestId))
        return undefined;
      return {
        type: "log",
        level: m.level,
        message: m.message,
        time: m.time,
        requestId: m.requestId as string,
      };
    case "output":
      if (
        (m.stream !== "stdout" && m.stream !== "stderr") ||
        !isString(m.text) ||
        !optionalString(m.requestId)
      )
        return undefined;
      return { type: "output", stream: m.stream, text: m.text, requestId: m.requestId as string };
    case "result": {
      if (!isString(m.requestId) || typeof m.ok !== "boolean") return undefined;
      const memory = isNumber(m.maxMemoryUsedMb) ? m.maxMemoryUsedMb : 0;
      if (m.ok) {
        const bytes = m.payloadBytes;
        if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) return undefined;
        return {
          type: "result",
          requestId: m.requestId,
          ok: true,
          payloadBytes: bytes as number,
          maxMemoryUsedMb: memory,
        };
      }
      const error = errorPayload(m.error);
      if (!error) return undefined;
      return {
        type: "result",
        requestId: m.requestId,
        ok: false,
        error,
        fatal: m.fatal === true,
        maxMemoryUsedMb: memory,
      };
    }
    default:
      return undefined;
  }
}
