import type { IncomingHttpHeaders } from "node:http";
import type { ServiceRequest, ServiceResponse } from "../../types.ts";
import type { ServiceError } from "../errors.ts";
import { toXml } from "./xml.ts";

/**
 * The REST protocols (rest-json: Lambda; rest-xml: S3): the operation is named by the method and path, labels
 * of the path are input members, and errors are `x-amzn-ErrorType` + `{Type, Message}` (rest-json) or
 * `<Error><Code/><Message/>…</Error>` (rest-xml).
 */

/**
 * A route, in Smithy's `@http` grammar: the method, and a path pattern with `{Label}` for one segment and
 * `{Label+}` for the rest of the path (`{Label*}`: the rest, possibly nothing), then the query keys the request
 * must carry, `?key` or `?key=value` (S3: `/{Bucket}?acl`, `/{Bucket}/{Key+}?uploadId&partNumber`,
 * `/{Bucket}?list-type=2`); `header` names a header the request must carry (S3's CopyObject is a PutObject
 * with `x-amz-copy-source`).
 */
export interface HttpRoute {
  method: string;
  path: string;
  header?: string;
}

type Segment = { literal: string } | { label: string; greedy: "" | "+" | "*" };

/** A route parsed once: its segments, its required query keys (and values) and header, and its specificity. */
interface CompiledRoute {
  segments: readonly Segment[];
  query: ReadonlyArray<readonly [string, string | undefined]>;
  header: string | undefined;
  /** Required query keys and header first, then literal segments: the most specific matching route wins. */
  specificity: number;
  /** The path and conditions without the method: two methods on one such resource share it. */
  resource: string;
  /** Whether a label takes the rest of the path: without one, a path of another length cannot match. */
  greedy: boolean;
}

function compileRoute(route: HttpRoute): CompiledRoute {
  const [path = "", queryText = ""] = route.path.split("?", 2);
  const segments: Segment[] = path.split("/").map((part) => {
    const label = /^\{(\w+)([+*]?)\}$/.exec(part);
    return label ? { label: label[1] as string, greedy: label[2] as "" | "+" | "*" } : { literal: part };
  });
  const query = queryText
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair): [string, string | undefined] => {
      const equals = pair.indexOf("=");
      return equals === -1 ? [pair, undefined] : [pair.slice(0, equals), pair.slice(equals + 1)];
    });
  const header = route.header?.toLowerCase();
  const conditions = query.length + (header === undefined ? 0 : 1);
  const literals = segments.filter((segment) => "literal" in segment && segment.literal !== "").length;
  return {
    segments,
    query,
    header,
    specificity: conditions * 1000 + literals,
    resource: `${route.path} ${header ?? ""}`,
    greedy: segments.some((segment) => "label" in segment && segment.greedy !== ""),
  };
}

/** Whether the request carries the route's query keys (with their values where given) and header. */
function conditionsMet(route: CompiledRoute, query: URLSearchParams, headers: IncomingHttpHeaders): boolean {
  if (route.header !== undefined && headers[route.header] === undefined) return false;
  for (const [key, value] of route.query) {
    if (value === undefined ? !query.has(key) : query.get(key) !== value) return false;
  }
  return true;
}

/** The labels of a path (split at `/`) that fits the route's segments, decoded by `decode`; else undefined. */
function matchSegments(
  route: CompiledRoute,
  segments: readonly string[],
  decode: (raw: string) => string,
): Record<string, string> | undefined {
  const pattern = route.segments;
  // A path of another length (but for one trailing slash) fits only a route with a greedy label; the loop below
  // reaches that label or fails first. Most routes tried fail here, before anything is made for them.
  if (!route.greedy && segments.length !== pattern.length && !endsInSlash(segments, pattern.length))
    return undefined;
  const raw: Array<[string, string]> = [];
  for (let index = 0; index < pattern.length; index++) {
    const part = pattern[index] as Segment;
    if ("label" in part && part.greedy !== "") {
      const rest = segments.slice(index).join("/");
      if (rest !== "") raw.push([part.label, rest]);
      else if (part.greedy === "+") return undefined;
      break;
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if ("literal" in part) {
      if (segment !== part.literal) return undefined;
    } else {
      if (segment === "") return undefined;
      raw.push([part.label, segment]);
    }
  }
  // Decoded once the whole path fits (a service's decoder may refuse a label: S3's InvalidURI); text without an
  // escape is its own decoding.
  const labels: Record<string, string> = {};
  for (const [label, text] of raw) labels[label] = text.includes("%") ? decode(text) : text;
  return labels;
}

/** What a router finds: the route's index and labels, or a resource that exists for other methods only. */
export type RouteMatch =
  | { index: number; labels: Record<string, string> }
  | { methodNotAllowed: true; labels: Record<string, string> };

/**
 * Matches requests against a list of routes, compiled once. Per method, the routes are tried most specific
 * first (required query keys and header, then literal segments; declaration order between equals), as Smithy
 * servers and LocalStack's operation router rank them, so `PUT /{Bucket}/{Key+}` with `x-amz-copy-source` is
 * CopyObject and without it PutObject. A request naming a resource (path, query keys, header) that only other
 * methods declare matches no route of its own method: `PATCH`, `POST /b?cors` or `DELETE /b/k?acl` are
 * `methodNotAllowed`, never the less specific `POST /{Bucket}` or `DELETE /{Bucket}/{Key+}`.
 */
export function createRouter(
  routes: ReadonlyArray<HttpRoute | undefined>,
  decode: (raw: string) => string = decodeSegment,
): (
  method: string,
  path: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
) => RouteMatch | undefined {
  const compiled = routes.map((route) =>
    route ? { method: route.method.toUpperCase(), route: compileRoute(route) } : undefined,
  );
  const byMethod = new Map<string, MethodRoutes>();
  for (const method of new Set(compiled.map((entry) => entry?.method))) {
    if (method !== undefined) byMethod.set(method, methodRoutes(compiled, method, false));
  }
  return (method, path, query, headers) => {
    let table = byMethod.get(method);
    if (table === undefined) {
      const upper = method.toUpperCase();
      table = byMethod.get(upper);
      if (table === undefined) {
        // A method no route declares: every route is another method's.
        table = methodRoutes(compiled, upper, true);
        byMethod.set(upper, table);
      }
    }
    const search: RouteSearch = {
      path,
      query,
      headers,
      decode,
      segments: undefined,
      best: undefined,
      labels: undefined,
    };
    // Only the routes whose condition the request may meet are tried: those anchored on one of its query keys
    // or headers (most requests carry none of them), then the unconditioned ones.
    if (table.byQueryKey.size > 0 && query.size > 0)
      for (const key of query.keys()) considerRoutes(search, table.byQueryKey.get(key));
    for (const [header, entries] of table.byHeader)
      if (headers[header] !== undefined) considerRoutes(search, entries);
    if (search.best === undefined) considerRoutes(search, table.plain);
    const { best, labels } = search;
    if (best === undefined || labels === undefined) return undefined;
    return best.index === undefined ? { methodNotAllowed: true, labels } : { index: best.index, labels };
  };
}

/**
 * One request's search through a method's routes, the best match so far included. A record the search functions
 * take, not a closure made per request: run from source, tsx names every named closure as it is made.
 */
interface RouteSearch {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  decode: (raw: string) => string;
  /** The path split at `/`, once a route needs it. */
  segments: string[] | undefined;
  best: RouteEntry | undefined;
  labels: Record<string, string> | undefined;
}

/** Tries `entries` (most specific first) on the request; the first that matches and outranks the best is kept. */
function considerRoutes(search: RouteSearch, entries: readonly RouteEntry[] | undefined): void {
  if (entries === undefined) return;
  for (const entry of entries) {
    if (search.best !== undefined && entry.rank > search.best.rank) return;
    if (!conditionsMet(entry.route, search.query, search.headers)) continue;
    search.segments ??= search.path.split("/");
    const labels = matchSegments(entry.route, search.segments, search.decode);
    if (labels === undefined) continue;
    search.best = entry;
    search.labels = labels;
    return;
  }
}

interface RouteEntry {
  route: CompiledRoute;
  /** The route's index; undefined for another method's route on a resource this method does not serve. */
  index: number | undefined;
  /** Its place among the method's routes, most specific first: the lower rank wins. */
  rank: number;
}

/** One method's routes, by what they require: a query key, a header, or nothing but the path. */
interface MethodRoutes {
  byQueryKey: Map<string, RouteEntry[]>;
  byHeader: Array<[string, RouteEntry[]]>;
  plain: RouteEntry[];
}

function methodRoutes(
  compiled: ReadonlyArray<{ method: string; route: CompiledRoute } | undefined>,
  method: string,
  undeclared: boolean,
): MethodRoutes {
  const own: Array<Omit<RouteEntry, "rank">> = [];
  compiled.forEach((entry, index) => {
    if (entry?.method === method) own.push({ route: entry.route, index });
  });
  const served = new Set(own.map((entry) => entry.route.resource));
  const foreign: Array<Omit<RouteEntry, "rank">> = [];
  // Another method's sub-resource (a route requiring a query key; a header names no resource), or for a method no
  // route declares any resource: methodNotAllowed. Not for OPTIONS: a CORS preflight asks about the request it
  // precedes, whatever its sub-resource (LocalStack's op_router.py routes an OPTIONS as that GET).
  const foreignReach = undeclared ? "any" : method === "OPTIONS" ? "none" : "sub-resources";
  for (const entry of compiled) {
    if (!entry || entry.method === method || foreignReach === "none") continue;
    if (foreignReach === "sub-resources" && entry.route.query.length === 0) continue;
    if (served.has(entry.route.resource)) continue;
    served.add(entry.route.resource);
    foreign.push({ route: entry.route, index: undefined });
  }
  // A stable sort: declaration order between equally specific routes, this method's before the others'.
  const ranked = [...own, ...foreign]
    .sort((a, b) => b.route.specificity - a.route.specificity)
    .map((entry, rank): RouteEntry => ({ ...entry, rank }));
  const table: MethodRoutes = { byQueryKey: new Map(), byHeader: [], plain: [] };
  for (const entry of ranked) {
    const { header, query } = entry.route;
    if (header !== undefined) {
      const listed = table.byHeader.find(([name]) => name === header);
      if (listed) listed[1].push(entry);
      else table.byHeader.push([header, [entry]]);
    } else if (query[0] !== undefined) {
      const key = query[0][0];
      table.byQueryKey.set(key, [...(table.byQueryKey.get(key) ?? []), entry]);
    } else table.plain.push(entry);
  }
  return table;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The request's JSON object body (`{}` when empty); SerializationException for anything else. */
export function jsonObjectBody(
  request: Pick<ServiceRequest, "body">,
  invalid: () => ServiceError,
): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString("utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // not JSON: the same error as a JSON value that is not an object
  }
  throw invalid();
}

/** REST-JSON error (Lambda): type in `x-amzn-ErrorType`, body `{Type, Message}`. */
export function restJsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  fields: Record<string, string> = {},
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": code, ...headers },
    body: JSON.stringify({ ...fields, Type: status >= 500 ? "Service" : "User", Message: message, message }),
  };
}

/**
 * REST-XML error (S3): `<Error><Code/><Message/>…details…<RequestId/></Error>`; HEAD answers carry the status
 * and headers only (no body on HEAD).
 */
export function restXmlError(
  error: Pick<ServiceError, "status" | "code" | "message" | "headers">,
  requestId: string,
  options: { details?: Record<string, string>; isHead?: boolean } = {},
): ServiceResponse {
  const headers: Record<string, string> = {
    ...error.headers,
    "x-amz-request-id": requestId,
    "x-amz-id-2": requestId,
  };
  if (options.isHead) return { status: error.status, headers };
  const body = toXml("Error", {
    Code: error.code,
    Message: error.message,
    ...options.details,
    RequestId: requestId,
    HostId: requestId,
  });
  return { status: error.status, headers: { ...headers, "content-type": "application/xml" }, body };
}

/**
 * A trailing slash after the route is not a segment of its own: the AWS CLI v2 sends ListFunctions to
 * `/2015-03-31/functions/` (its botocore model's requestUri), the SDK v3 to `/2015-03-31/functions`.
 */
function endsInSlash(segments: readonly string[], routeLength: number): boolean {
  return segments.length === routeLength + 1 && segments[routeLength] === "";
}

/**
 * The input members a REST request carries outside its body and path: each query parameter is the member of
 * its own name, or of the name `http.query` binds it to (Smithy's `@httpQuery`; `{ list }` for a repeated
 * one), and each header `http.headers` binds (`@httpHeader`). SigV4's query authentication (`X-Amz-*`) is the
 * request's signature, not a member; a parameter the route itself requires (`/{Bucket}?acl`) is not one either.
 * A parameter no member binds keeps its own name, so the schema refuses it by name instead of dropping it.
 */
export function boundMembers(
  http: { path: string; query?: Record<string, string | { list: string }>; headers?: Record<string, string> },
  request: Pick<ServiceRequest, "query" | "headers">,
): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const bound = new Map<string, { member: string; list: boolean }>();
  for (const [member, binding] of Object.entries(http.query ?? {}))
    bound.set(typeof binding === "string" ? binding : binding.list, {
      member,
      list: typeof binding !== "string",
    });
  const routeKeys = new URLSearchParams(http.path.split("?")[1] ?? "");
  for (const key of new Set(request.query.keys())) {
    if (key.startsWith("X-Amz-") || routeKeys.has(key)) continue;
    const binding = bound.get(key);
    members[binding?.member ?? key] = binding?.list ? request.query.getAll(key) : request.query.get(key);
  }
  for (const [member, header] of Object.entries(http.headers ?? {})) {
    const value = request.headers[header];
    if (value !== undefined) members[member] = Array.isArray(value) ? value.join(",") : value;
  }
  return members;
}
