import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { ServiceResponse } from "../engine/types.ts";

/** One Server-Sent Events frame; JSON.stringify never emits raw newlines, so `data` fits on one line. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The open `text/event-stream` responses of the dashboard: each is a PassThrough that the edge pipes to the
 * socket and that this hub keeps writing to, until the browser goes away or `close()` ends them all.
 */
export class EventStreamHub {
  readonly #clients = new Set<PassThrough>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;
  /**
   * Frames sent since the last flush, by key: a keyed frame (a flow row) replaces its earlier one in place, so a row
   * that changed five times in one turn of the event loop goes out once, in its latest state.
   */
  readonly #pending = new Map<string, string>();
  #unkeyed = 0;
  #flushScheduled = false;

  constructor(options: { heartbeatMs?: number } = {}) {
    // A comment line now and then keeps proxies and idle timers from cutting a quiet stream.
    this.#heartbeat = setInterval(() => this.#write(": ping\n\n"), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  /** Open streams (tests check that they are released). */
  get size(): number {
    return this.#clients.size;
  }

  /** Starts a stream for one request; `initial` frames are written first (e.g. a snapshot). */
  open(request: IncomingMessage, initial: string[]): ServiceResponse {
    const stream = new PassThrough();
    if (this.#closed) {
      stream.end();
    } else {
      this.#clients.add(stream);
      stream.write("retry: 1000\n\n");
      for (const frame of initial) stream.write(frame);
      const release = () => this.#drop(stream);
      request.socket.once("close", release);
      // The edge destroys the body itself for HEAD requests and failed writes.
      stream.once("close", () => {
        this.#clients.delete(stream);
        request.socket.off("close", release);
      });
    }
    return {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      },
      body: stream,
    };
  }

  /**
   * Sends one event to every open stream. Frames are gathered for the rest of this turn of the event loop and written
   * as one chunk (`setImmediate`): a socket write is a system call, and one upload moves a flow row four or five
   * times. With `key`, a later frame of the same key replaces the pending one.
   */
  send(event: string, data: unknown, key?: string): void {
    if (this.#clients.size === 0) return;
    const frame = sseFrame(event, data);
    if (key === undefined) this.#pending.set(`\0${this.#unkeyed++}`, frame);
    else {
      const pendingKey = `${event}\0${key}`;
      this.#pending.delete(pendingKey);
      this.#pending.set(pendingKey, frame);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.size === 0) return;
    const chunk = [...this.#pending.values()].join("");
    this.#pending.clear();
    this.#unkeyed = 0;
    this.#write(chunk);
  }

  /** Ends every stream (engine stop); later `open` calls get an already-ended stream. */
  close(): void {
    this.#flush();
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const stream of [...this.#clients]) this.#drop(stream);
  }

  #write(frame: string): void {
    for (const stream of this.#clients) {
      // A browser that stopped reading would make the buffer grow without bound; let it reconnect instead.
      if (stream.writableLength > 4 * 1024 * 1024) this.#drop(stream);
      else stream.write(frame);
    }
  }

  #drop(stream: PassThrough): void {
    this.#clients.delete(stream);
    if (!stream.writableEnded) stream.end();
  }
}
