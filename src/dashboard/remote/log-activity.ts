import type { ActivityEvent, InvokeOutcome } from "../../engine/activity.ts";
import type { LogEvent } from "../../pipeline/logs.ts";
import { parseFunctionLogLine } from "../function-log.ts";

/** One flow-model `activity` event with the time it happened (read from the log, not the clock). */
export interface TimedActivity {
  at: number;
  event: ActivityEvent;
}

export interface LogActivityOptions {
  /** The stack's function, which the log group's lines are about. */
  functionName: string;
  /** The stack's bucket: only objects of it are tracked. */
  bucket: string;
  /** The function's log group, which `log` activities name. */
  logGroup: string;
  /** Request IDs remembered at most (the oldest are forgotten). Default 2000. */
  maxRequests?: number;
}

interface RequestState {
  /** A delivery in the flow model owns this request ID, so its activities go straight through. */
  claimed: boolean;
  /** Activities held until a log line names the object the invocation is about. */
  held: TimedActivity[];
  startAt?: number;
  outcome?: InvokeOutcome;
  error?: string;
}

const startPattern = /^START RequestId: (\S+)/;
const reportPattern = /^REPORT RequestId: (\S+)/;
// The Node.js runtime's line for a handler error: `<time>\t<request id>\tERROR\tInvoke Error \t{json}`.
const invokeErrorPattern = /^\S+\t(\S+)\tERROR\tInvoke Error\s*\t([\s\S]*)$/;
const timeoutPattern = /^\S+ (\S+) (Task timed out after [\d.]+ seconds)/;
const heldLimit = 50;

/**
 * Turns a function's CloudWatch log events into the flow model's activity events, for a dashboard that has
 * no engine events to listen to: START → `invoke.start`, REPORT (with Invoke Error / timeout lines before it)
 * → `invoke.end`, and the function's JSON lines → `log`. An invocation is tied to its object by the first
 * JSON line naming `key` and `outcome`; until then its activities are held, then replayed after an
 * `s3.delivery.queued` at the invocation's start. Retries of an async event reuse the request ID and become
 * further attempts of the same delivery, as on the engine. Pure: no I/O, no clock.
 */
export class LogActivityTranslator {
  readonly #requests = new Map<string, RequestState>();
  readonly #functionName: string;
  readonly #bucket: string;
  readonly #logGroup: string;
  readonly #maxRequests: number;
  /** Streams whose next START follows an INIT_START line (AWS writes one per new execution environment). */
  readonly #initStarted = new Set<string>();

  constructor(options: LogActivityOptions) {
    this.#functionName = options.functionName;
    this.#bucket = options.bucket;
    this.#logGroup = options.logGroup;
    this.#maxRequests = Math.max(1, options.maxRequests ?? 2000);
  }

  /** Marks a request ID whose delivery the model already has (a re-drive this dashboard made). */
  claim(requestId: string): void {
    this.#state(requestId).claimed = true;
  }

  /** Translates new log events (in timestamp order, each once) into activities, in the order to apply them. */
  translate(events: LogEvent[]): TimedActivity[] {
    // Whether a run was a cold start is only certain from its REPORT ("Init Duration"), which comes last;
    // look ahead in the batch so the START can say it. Retries of one request pair up in order.
    const coldByRequest = new Map<string, boolean[]>();
    for (const event of events) {
      const report = reportPattern.exec(event.message);
      if (!report) continue;
      const id = report[1] as string;
      const list = coldByRequest.get(id) ?? [];
      list.push(/\tInit Duration: /.test(event.message));
      coldByRequest.set(id, list);
    }
    const out: TimedActivity[] = [];
    for (const event of events) this.#line(event, coldByRequest, out);
    return out;
  }

  #line(event: LogEvent, coldByRequest: Map<string, boolean[]>, out: TimedActivity[]): void {
    const { message, timestamp: at } = event;
    if (message.startsWith("INIT_START")) {
      this.#initStarted.add(event.stream);
      return;
    }
    const start = startPattern.exec(message);
    if (start) {
      const requestId = start[1] as string;
      const state = this.#state(requestId);
      state.startAt = at;
      delete state.outcome;
      delete state.error;
      const cold = coldByRequest.get(requestId)?.shift() ?? this.#initStarted.has(event.stream);
      this.#initStarted.delete(event.stream);
      this.#emit(
        state,
        { at, event: { kind: "invoke.start", functionName: this.#functionName, requestId, cold } },
        out,
      );
      return;
    }
    const report = reportPattern.exec(message);
    if (report) {
      const requestId = report[1] as string;
      const state = this.#state(requestId);
      const initDurationMs = Number(/\tInit Duration: ([\d.]+) ms/.exec(message)?.[1]);
      const durationMs = Number(/\tDuration: ([\d.]+) ms/.exec(message)?.[1]);
      const status = /\tStatus: (\w+)/.exec(message)?.[1];
      const outcome: InvokeOutcome =
        state.outcome ?? (status === "timeout" ? "timeout" : status === "error" ? "error" : "success");
      this.#emit(
        state,
        {
          at,
          event: {
            kind: "invoke.end",
            functionName: this.#functionName,
            requestId,
            cold: Number.isFinite(initDurationMs),
            // A START read in an earlier poll could not know; the model marks the run cold from this.
            ...(Number.isFinite(initDurationMs) ? { initDurationMs } : {}),
            ...(Number.isFinite(durationMs) ? { durationMs } : {}),
            outcome,
            ...(state.error !== undefined ? { error: state.error } : {}),
          },
        },
        out,
      );
      return;
    }
    const invokeError = invokeErrorPattern.exec(message);
    if (invokeError) {
      const state = this.#state(invokeError[1] as string);
      state.outcome = "error";
      state.error = describeError(invokeError[2] as string);
      return;
    }
    const timeout = timeoutPattern.exec(message);
    if (timeout) {
      const state = this.#state(timeout[1] as string);
      state.outcome = "timeout";
      state.error = timeout[2] as string;
      return;
    }
    const facts = parseFunctionLogLine(message);
    if (facts?.requestId === undefined) return;
    const state = this.#state(facts.requestId);
    if (!state.claimed) {
      // Only a line about one of our objects ties the invocation to a row; other lines wait for it.
      if (
        facts.outcome === undefined ||
        facts.key === undefined ||
        (facts.bucket ?? this.#bucket) !== this.#bucket
      )
        return;
      state.claimed = true;
      out.push({
        at: state.startAt ?? at,
        event: {
          kind: "s3.delivery.queued",
          functionName: this.#functionName,
          bucket: this.#bucket,
          key: facts.key,
          requestId: facts.requestId,
        },
      });
      out.push(...state.held);
      state.held = [];
    }
    out.push({
      at,
      event: {
        kind: "log",
        group: this.#logGroup,
        stream: event.stream,
        events: [{ timestamp: at, message }],
      },
    });
  }

  #emit(state: RequestState, activity: TimedActivity, out: TimedActivity[]): void {
    if (state.claimed) out.push(activity);
    else if (state.held.length < heldLimit) state.held.push(activity);
  }

  #state(requestId: string): RequestState {
    let state = this.#requests.get(requestId);
    if (!state) {
      state = { claimed: false, held: [] };
      this.#requests.set(requestId, state);
      if (this.#requests.size > this.#maxRequests) {
        const oldest = this.#requests.keys().next().value;
        if (oldest !== undefined) this.#requests.delete(oldest);
      }
    }
    return state;
  }
}

/** `{"errorType":"X","errorMessage":"y"}` → `X: y`; other text as it is. */
function describeError(payload: string): string {
  try {
    const parsed = JSON.parse(payload.trim()) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorType === "string" || typeof parsed.errorMessage === "string") {
      return `${String(parsed.errorType ?? "Error")}: ${String(parsed.errorMessage ?? "")}`;
    }
  } catch {
    // not JSON: keep the raw text
  }
  return payload.trim();
}
