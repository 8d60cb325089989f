import type * as Http from "node:http";
import { createRequire } from "node:module";

/**
 * Node's HTTP clients by require(): an ESM import of `node:http` (static or dynamic) makes its namespace, which on
 * Node 22 and later reads the module's lazy WebSocket getters and loads undici, and so does `fetch` (it is undici):
 * about 45 ms, as much as a quick verb's own work (nodejs/node#57649).
 */
const require = createRequire(import.meta.url);

/** An answer to a GET: its status, headers and body text (read up to a bound). */
export interface GetAnswer {
  status: number;
  headers: Http.IncomingHttpHeaders;
  body: string;
}

/** A GET that got no answer: the socket's error code (ECONNREFUSED, ENOTFOUND, ...), or `timeout`. */
export class GetFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "GetFailure";
  }
}

/**
 * GETs `url` (http or https). Fails with `timeout` when nothing arrives for `idleMs` once asked (a connection taken
 * and never answered); a body past `maxBytes` is cut there (these answers are small JSON documents).
 */
export function httpGet(url: string, options: { idleMs: number; maxBytes?: number }): Promise<GetAnswer> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const client: typeof Http = require(url.startsWith("https:") ? "node:https" : "node:http");
  return new Promise((resolve, reject) => {
    const request = client.get(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () => ({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size < maxBytes) return;
        // Enough of it: a body that never ends must not keep the verb waiting.
        resolve(answer());
        response.destroy();
      });
      response.on("end", () => resolve(answer()));
      response.on("error", (error: NodeJS.ErrnoException) =>
        reject(new GetFailure(error.code ?? "", error.message, { cause: error })),
      );
    });
    request.setTimeout(options.idleMs, () =>
      request.destroy(new GetFailure("timeout", `no answer within ${options.idleMs} ms`)),
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error instanceof GetFailure
          ? error
          : new GetFailure(error.code ?? "", error.message, { cause: error }),
      ),
    );
  });
}

/** A 2xx answer's body as JSON, or undefined (another status, or not JSON). */
export function jsonBody(answer: GetAnswer): unknown {
  if (answer.status < 200 || answer.status >= 300) return undefined;
  try {
    return JSON.parse(answer.body);
  } catch {
    return undefined;
  }
}
