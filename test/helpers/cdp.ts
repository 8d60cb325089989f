import WebSocket from "ws";

/** One event the inspector sent (`Debugger.paused`, `Debugger.scriptParsed`, …). */
export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
}

/**
 * A Chrome DevTools Protocol client over the inspector's WebSocket (the `ws` package: Node 20 has no WebSocket
 * global without --experimental-websocket). Commands are answered by id; events are kept so a test can wait for
 * one that arrived before it asked.
 */
export class CdpSession {
  readonly events: CdpEvent[] = [];
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as {
        id?: number;
        method?: string;
        params?: Record<string, unknown>;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id !== undefined) {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) pending?.reject(new Error(`CDP: ${message.error.message}`));
        else pending?.resolve(message.result);
      } else if (message.method) {
        this.events.push({ method: message.method, params: message.params ?? {} });
      }
    });
  }

  /** Connects to a target's `webSocketDebuggerUrl` (from `http://<inspector>/json/list`). */
  static async connect(url: string): Promise<CdpSession> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new CdpSession(socket);
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The first event (kept or still to come) that matches, or an error after `timeoutMs`. */
  async waitFor(
    method: string,
    predicate: (params: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((event) => event.method === method && predicate(event.params));
      if (hit) return hit.params;
      if (Date.now() > deadline) throw new Error(`no ${method} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): void {
    this.socket.close();
  }
}
