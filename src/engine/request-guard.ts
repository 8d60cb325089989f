import type { IncomingHttpHeaders } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { headerValue } from "./headers.ts";
import type { ServiceSection } from "./service/section.ts";

/**
 * Checks the edge runs on every request before it reads a body: which Host names the engine answers to (DNS
 * rebinding), which browser pages may call it (Origin / Referer / Sec-Fetch-Site, as LocalStack's CORS enforcer
 * does), and which requests may not come as a GET. Pure functions over the request head.
 */

/**
 * Host names the engine always answers to, whatever it is bound to. `host.docker.internal` is how containers name
 * this machine (Docker Desktop, `--add-host`); no web site can put its pages under that name.
 */
const loopbackNames = ["localhost", "127.0.0.1", "::1", "localhost.localstack.cloud", "host.docker.internal"];
/** Virtual-hosted S3 names below these suffixes are the engine too (`<bucket>.s3.localhost.localstack.cloud`). */
const loopbackSuffixes = [".localhost", ".localhost.localstack.cloud"];
/** Sec-Fetch-Site values for requests no other site started: the page itself, or the user (address bar). */
const trustedFetchSites = new Set(["same-origin", "none"]);

export interface GuardSettings {
  /** Lower-cased host names (no port) the engine answers to. */
  hosts: ReadonlySet<string>;
  /** Origins (`scheme://host[:port]`) whose pages may call the engine, besides its own. */
  origins: ReadonlySet<string>;
  /** `DISABLE_CORS_CHECKS=1`: browser requests are not checked (Host is). */
  corsChecks: boolean;
}

export interface GuardInput {
  /** Interface the engine is bound to (`127.0.0.1`, `0.0.0.0`, ...). */
  boundHost: string;
  /** `--host` names given by the user, beyond the bound address. */
  extraHosts?: readonly string[];
  /** `--cors-origin` values. */
  corsOrigins?: readonly string[];
  /** The process environment (for `EXTRA_CORS_ALLOWED_ORIGINS`, `DISABLE_CORS_CHECKS`, LocalStack's names). */
  env?: NodeJS.ProcessEnv;
}

const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]";

/** Strips brackets and lower-cases a host name or address (`[::1]` → `::1`). */
function normaliseHostName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
}

/**
 * The guard's settings for an engine bound to `boundHost`. A wildcard bind (`0.0.0.0`) answers to this machine's
 * interface addresses and host name, never to any name at all.
 *
 * @example guardSettings({ boundHost: "127.0.0.1", corsOrigins: ["http://localhost:3000"] })
 */
export function guardSettings(input: GuardInput): GuardSettings {
  const env = input.env ?? {};
  const hosts = new Set(loopbackNames);
  const bound = normaliseHostName(input.boundHost);
  if (isWildcard(input.boundHost)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(normaliseHostName(address.address));
    }
    hosts.add(hostname().toLowerCase());
  } else if (bound !== "") hosts.add(bound);
  for (const extra of input.extraHosts ?? []) hosts.add(normaliseHostName(extra));
  const origins = new Set<string>();
  const extraOrigins = (env.EXTRA_CORS_ALLOWED_ORIGINS ?? "").split(",");
  for (const origin of [...(input.corsOrigins ?? []), ...extraOrigins]) {
    const trimmed = origin.trim().replace(/\/+$/, "");
    if (trimmed !== "") origins.add(trimmed.toLowerCase());
  }
  return { hosts, origins, corsChecks: !isTruthy(env.DISABLE_CORS_CHECKS) };
}

const isTruthy = (value: string | undefined) =>
  value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());

/** The host name of a Host header value, without port or brackets (`[::1]:4566` → `::1`). */
export function hostNameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith("["))
    return value.slice(1, value.indexOf("]") === -1 ? undefined : value.indexOf("]"));
  const colon = value.lastIndexOf(":");
  return colon === -1 || value.indexOf(":") !== colon ? value : value.slice(0, colon);
}

/**
 * Whether the Host header names this engine. A page on a rebinding domain (`evil.example` resolved to
 * 127.0.0.1) sends its own name here, and is answered 421.
 */
export function isAllowedHost(hostHeader: string | undefined, settings: GuardSettings): boolean {
  if (hostHeader === undefined || hostHeader === "") return false;
  const name = hostNameOf(hostHeader);
  if (settings.hosts.has(name)) return true;
  return loopbackSuffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
}

/** The origin of the page that sent the request: `Origin`, else the origin of `Referer`; undefined for neither. */
function requestOrigin(headers: IncomingHttpHeaders): string | undefined {
  const origin = headerValue(headers, "origin");
  if (origin !== undefined && origin !== "") return origin.toLowerCase();
  const referer = headerValue(headers, "referer");
  if (referer === undefined || referer === "") return undefined;
  try {
    return new URL(referer).origin.toLowerCase();
  } catch {
    return "null";
  }
}

/** The engine's own origins: `http://<allowed host>:<port>` (the dashboard calls the engine from these). */
function isOwnOrigin(origin: string, settings: GuardSettings, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:") return false;
  const originPort = url.port === "" ? 80 : Number(url.port);
  return originPort === port && isAllowedHost(url.host, settings);
}

export type BrowserVerdict =
  | { allowed: true; origin?: string }
  | { allowed: false; origin: string | undefined; reason: string };

/**
 * Whether a browser may have sent this request on a page's behalf, and if so whether that page may call the
 * engine. SDKs and CLIs send no `Origin`, `Referer` or `Sec-Fetch-Site` and pass. A page passes when its origin is
 * the engine's own or one the user allowed. A browser request whose page cannot be told (a `referrerpolicy=
 * no-referrer` image, say) passes only when the browser says no other site started it (`Sec-Fetch-Site`).
 */
export function checkBrowserOrigin(
  headers: IncomingHttpHeaders,
  settings: GuardSettings,
  port: number,
): BrowserVerdict {
  const origin = requestOrigin(headers);
  const fetchSite = headerValue(headers, "sec-fetch-site")?.toLowerCase();
  if (origin === undefined) {
    if (fetchSite === undefined || trustedFetchSites.has(fetchSite)) return { allowed: true };
    return { allowed: false, origin, reason: `a ${fetchSite} request without Origin or Referer` };
  }
  if (!settings.corsChecks) return { allowed: true, origin };
  if (isOwnOrigin(origin, settings, port) || settings.origins.has(origin)) return { allowed: true, origin };
  return { allowed: false, origin, reason: `origin ${origin} is not allowed` };
}

/**
 * Whether a request that changes state arrives as a GET or HEAD: for a service that declares which of its
 * operations only read (`readOnlyOperations` in its section: the query services IAM, STS and SQS), any other
 * operation. `operation` is the request's one `Action` (the edge's parse of the query string and body, which the
 * service reads too) or its JSON target's operation. REST services (S3, Lambda) never change state on GET.
 * Whatever the Host name: browsers send no Origin or Sec-Fetch headers to some of them.
 */
export function isStateChangingGet(
  method: string,
  section: Pick<ServiceSection, "readOnlyOperations"> | undefined,
  operation: string,
): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  const readOnly = section?.readOnlyOperations;
  if (readOnly === undefined) return false;
  return operation !== "" && !readOnly.test(operation);
}

/**
 * Whether a request has the shape of a presigned S3 object URL (SigV4 `X-Amz-Signature` in the query) for a
 * single-object read or write of the object `key` (undefined: the request names a bucket, or none). Whoever
 * holds one may use it from any page, which is its purpose; the signature itself is S3's to verify
 * (s3/cross-origin.ts). Bucket listing and creation, bulk deletes and configuration never pass this way.
 */
export function isPresignedObjectRequest(
  method: string,
  key: string | undefined,
  query: URLSearchParams,
): boolean {
  if (!query.has("X-Amz-Signature") || !query.has("X-Amz-Credential")) return false;
  if (!["GET", "HEAD", "PUT"].includes(method)) return false;
  if (key === undefined || key === "") return false;
  const subresources = [...query.keys()].filter(
    (name) => !/^(x-amz-|x-id$|response-|versionid$)/i.test(name),
  );
  // UploadPart (`partNumber` + `uploadId`) is an object write too.
  const allowedSub = method === "PUT" ? ["partNumber", "uploadId"] : ["partNumber"];
  return subresources.every((name) => allowedSub.includes(name));
}

/** CORS response headers for a page the engine allows (its own origin, or one the user added). */
export function corsHeaders(origin: string, requestHeaders?: string): Record<string, string> {
  const headers: Record<string, string> = {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "HEAD,GET,PUT,POST,DELETE,OPTIONS,PATCH",
    "access-control-expose-headers":
      "etag,x-amz-version-id,x-amz-request-id,x-amz-id-2,x-amzn-requestid,x-amzn-errortype,x-amz-function-error,x-amz-log-result,x-amz-checksum-crc32,x-amz-checksum-crc32c,x-amz-checksum-sha1,x-amz-checksum-sha256",
    "access-control-max-age": "600",
    vary: "Origin",
  };
  if (requestHeaders !== undefined && requestHeaders !== "")
    headers["access-control-allow-headers"] = requestHeaders;
  return headers;
}
