import { randomUUID } from "node:crypto";
import { nodeHttp } from "./node-http.ts";
import type { ServiceRegistry } from "./service/registry.ts";
import {
  type BufferedBody,
  type EdgeProtocol,
  renderEdgeError,
  requestProtocol,
  type ServiceSection,
} from "./service/section.ts";
import type { RequestHead, ServiceResponse } from "./types.ts";

/**
 * Which service a request is for, before any service has seen it, and the edge's own answers (refusals,
 * throttling, failures) in that service's format, so that SDKs report a named error code. Everything
 * service-specific comes from the registry's sections (service/section.ts); nothing here names a service.
 */

/** Where the edge sends a request: a registered service (its section), or a name no section declares. */
export interface Route {
  /** The service's name: its section's signing name, or what the credential scope names. */
  name: string;
  /** Undefined for a service the registry does not declare (answered 501) and for engine-internal routes. */
  section: ServiceSection | undefined;
  protocol: EdgeProtocol;
}

/**
 * The service a request names: `X-Amz-Target`'s prefix, else the SigV4 credential scope's service, else its path
 * (a REST service's declared paths), else the fallback service (S3: browsers, presigned URLs).
 */
export function routeRequest(
  registry: ServiceRegistry,
  head: RequestHead,
  scopeService: string | undefined,
): Route {
  const target = head.headers["x-amz-target"];
  const section =
    (typeof target === "string" && target !== "" ? registry.byTarget(target) : undefined) ??
    (scopeService === undefined ? registry.byPath(head.rawPath) : registry.byName(scopeService));
  const name = section?.signingName ?? scopeService ?? registry.fallback.signingName;
  return { name, section, protocol: section ? requestProtocol(section, head.headers) : "json" };
}

/** A request to `/` with a form body or an `Action` in its query string: a query service's, never a REST one's. */
export function isUnsignedQuery(head: RequestHead): boolean {
  const contentType = String(head.headers["content-type"] ?? "").toLowerCase();
  return (
    head.rawPath === "/" &&
    (contentType.startsWith("application/x-www-form-urlencoded") || head.query.has("Action"))
  );
}

/** The limit an unsigned query request is read with before its `Version` names its service: the largest one. */
export function unsignedQueryLimit(registry: ServiceRegistry, head: RequestHead): BufferedBody {
  let largest: BufferedBody | undefined;
  for (const section of registry.sections) {
    if (!section.protocols.query) continue;
    const limit = section.bodyLimit(head, "");
    if ("bytes" in limit && (largest === undefined || limit.bytes > largest.bytes)) largest = limit;
  }
  return largest ?? { bytes: 0, status: 413, code: "RequestEntityTooLarge", message: "No query service" };
}

/** An error in the protocol of the route a request took (the edge refuses before the service runs). */
export function protocolError(
  route: Pick<Route, "section" | "protocol">,
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra: Record<string, string> = {},
  queryCode?: string,
): ServiceResponse {
  const error = { status, code, message, ...(queryCode === undefined ? {} : { queryCode }) };
  return renderEdgeError(route.section, route.protocol, error, requestId, extra);
}

/**
 * The answer beyond the engine's budget of buffered request bytes: the service's throttling error (codes and
 * statuses cited in docs/security.md), or `503 SlowDown` for the engine's own routes. SDKs retry them all.
 */
export function throttled(route: Pick<Route, "section" | "protocol">, requestId: string): ServiceResponse {
  const message = "Rate exceeded: the engine is reading too many request bodies at once; retry shortly";
  const throttling = route.section?.throttling ?? { status: 503, code: "SlowDown" };
  return protocolError(route, throttling.status, throttling.code, throttling.message ?? message, requestId);
}

/** An answer for a failure of the engine itself, in the service's format (each service's 500 code). */
export function internalFailure(
  route: Pick<Route, "section" | "protocol">,
  requestId: string,
): ServiceResponse {
  const message = "The engine failed to process the request (see its log)";
  return protocolError(route, 500, route.section?.internalErrorCode ?? "InternalFailure", message, requestId);
}

/** What a request head says of its service: its `X-Amz-Target` and its credential scope's service. */
export interface HeadNames {
  target?: string;
  scope?: string;
}

/** A head line longer than this is skipped, not kept: the names sought are on short lines (Node's own head limit). */
const REFUSED_LINE_BYTES = 16 * 1024;
/** Past this many bytes of a refused head, the edge answers with what it has found. */
export const REFUSED_HEAD_BYTES = 1024 * 1024;

/**
 * Reads a request head that Node's parser refused (one too large, one not valid HTTP) for the lines that name its
 * service, as it arrives: the parser hands over only the packet it failed on, and a head split across packets
 * (a long URL sent apart from the headers after it) names its service in a later one. Keeps one partial line
 * (at most REFUSED_LINE_BYTES), never the head.
 */
export class RefusedHeadScan {
  readonly names: HeadNames = {};
  /** The head's blank line was seen: nothing further names the service. */
  complete = false;
  #bytes = 0;
  #partial = "";
  #skippingLine = false;
  /** A line has ended (a skipped one included): the next is not the first packet's first line. */
  #pastFirstLine = false;

  /** Whether to answer now: the target is known (it decides), the head ended, or too much of it came. */
  get settled(): boolean {
    return this.names.target !== undefined || this.complete || this.#bytes > REFUSED_HEAD_BYTES;
  }

  feed(packet: Buffer | undefined): void {
    if (packet === undefined || this.complete) return;
    this.#bytes += packet.length;
    const lines = (this.#partial + packet.toString("latin1")).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) {
      const first = !this.#pastFirstLine;
      this.#pastFirstLine = true;
      if (this.#skippingLine) {
        this.#skippingLine = false;
        continue;
      }
      if (this.#read(line.endsWith("\r") ? line.slice(0, -1) : line, first)) return;
    }
    if (this.#partial.length > REFUSED_LINE_BYTES) {
      this.#partial = "";
      this.#skippingLine = true;
    }
  }

  /**
   * Reads one whole line; true at the head's end. An empty first line is not that end: the first packet scanned is
   * the one the parser refused, which may begin with the line break of a line an earlier packet began.
   */
  #read(line: string, first: boolean): boolean {
    if (line === "" && !first) {
      this.complete = true;
      return true;
    }
    const target = /^x-amz-target:[ \t]*(.*?)[ \t]*$/i.exec(line)?.[1];
    if (target) this.names.target ??= target;
    const scope = /Credential=[^/\s]+\/\d{8}\/[^/\s]+\/([^/\s]+)\//.exec(line)?.[1];
    if (scope) this.names.scope ??= scope;
    return false;
  }
}

/**
 * The raw HTTP answer to a request Node's parser refused, with the connection closed after it: in the format of
 * the request's route when its head was read (the body's framing failed), else of the service its head names
 * (target, then credential scope; the fallback service when it names none).
 */
export function parserRefusal(
  registry: ServiceRegistry,
  error: NodeJS.ErrnoException,
  known: Route | HeadNames,
): Buffer {
  const route = "protocol" in known ? known : headRoute(registry, known);
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "RequestTimeout", "The request head was not received in time."]
        : [400, "BadRequest", `The request is not valid HTTP (${error.code ?? error.message}).`];
  const answer = protocolError(route, status, code, message, randomUUID());
  const body = Buffer.from(typeof answer.body === "string" ? answer.body : "");
  const lines = Object.entries({ ...answer.headers, "content-length": body.length, connection: "close" }).map(
    ([name, value]) => `${name}: ${String(value)}`,
  );
  const head = `HTTP/1.1 ${status} ${nodeHttp.STATUS_CODES[status]}\r\n${lines.join("\r\n")}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/**
 * The route a refused head's names give: `routeRequest`'s, for a head of just those lines (no path, so the
 * fallback takes a head that names no service).
 */
function headRoute(registry: ServiceRegistry, { target, scope }: HeadNames): Route {
  const head: RequestHead = {
    method: "",
    rawPath: "",
    query: new URLSearchParams(),
    headers: target === undefined ? {} : { "x-amz-target": target },
    host: "",
  };
  return routeRequest(registry, head, scope);
}
