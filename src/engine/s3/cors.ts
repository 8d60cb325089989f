import { wildcardMatch } from "../wildcard.ts";
import { invalidRequest, malformedXml, S3Error } from "./errors.ts";
import type { CorsRule } from "./storage/records.ts";
import { xmlChildren, xmlText, xmlTexts } from "./xml.ts";

const corsMethods = new Set(["GET", "PUT", "HEAD", "POST", "DELETE"]);

/** Parses a `CORSConfiguration` document as S3 validates it (1–100 rules, known methods, one `*` per origin). */
export function parseCorsConfiguration(document: Record<string, unknown>): CorsRule[] {
  const root = document.CORSConfiguration;
  if (root === undefined) throw malformedXml();
  const rules = xmlChildren(root, "CORSRule").map((node): CorsRule => {
    const allowedMethods = xmlTexts(node, "AllowedMethod").map((method) => method.trim());
    const allowedOrigins = xmlTexts(node, "AllowedOrigin").map((origin) => origin.trim());
    if (allowedMethods.length === 0 || allowedOrigins.length === 0) throw malformedXml();
    for (const method of allowedMethods) {
      if (!corsMethods.has(method))
        throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
    }
    for (const origin of allowedOrigins) {
      if (origin.split("*").length > 2)
        throw invalidRequest(`AllowedOrigin "${origin}" can not have more than one wildcard.`);
    }
    const rule: CorsRule = {
      allowedMethods,
      allowedOrigins,
      allowedHeaders: xmlTexts(node, "AllowedHeader").map((header) => header.trim()),
      exposeHeaders: xmlTexts(node, "ExposeHeader").map((header) => header.trim()),
    };
    const id = xmlText(node, "ID");
    if (id !== undefined) rule.id = id;
    const maxAge = xmlText(node, "MaxAgeSeconds");
    if (maxAge !== undefined) {
      if (!/^\d+$/.test(maxAge.trim())) throw malformedXml();
      rule.maxAgeSeconds = Number(maxAge.trim());
    }
    return rule;
  });
  if (rules.length === 0 || rules.length > 100) throw malformedXml();
  return rules;
}

/**
 * The first CORS rule that lets `origin` make a `method` request with `requestHeaders` (the names of
 * `Access-Control-Request-Headers`), as S3 evaluates a bucket's CORS configuration; undefined when none does.
 * Pure, so the edge can ask the same question before a request reaches S3.
 *
 * @example s3CorsAllows([{ allowedOrigins: ["https://*.example.com"], allowedMethods: ["PUT"], allowedHeaders: ["*"], exposeHeaders: [] }],
 *   "https://app.example.com", "PUT", ["content-type"]) // that rule
 */
export function s3CorsAllows(
  rules: readonly CorsRule[] | undefined,
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules?.find(
    (rule) =>
      rule.allowedOrigins.some((allowed) => wildcardMatch(allowed, origin)) &&
      rule.allowedMethods.includes(method.toUpperCase()) &&
      requestHeaders.every((header) =>
        rule.allowedHeaders.some((allowed) => wildcardMatch(allowed, header, { ignoreCase: true })),
      ),
  );
}

/** The `Access-Control-*` headers S3 sends for a request allowed by `rule`. */
export function corsResponseHeaders(
  rule: CorsRule,
  origin: string,
  requestHeaders: readonly string[],
  preflight: boolean,
): Record<string, string> {
  const wildcard = rule.allowedOrigins.includes("*");
  const headers: Record<string, string> = {
    "access-control-allow-origin": wildcard ? "*" : origin,
    "access-control-allow-methods": rule.allowedMethods.join(", "),
    vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
  };
  if (!wildcard) headers["access-control-allow-credentials"] = "true";
  if (preflight && requestHeaders.length > 0)
    headers["access-control-allow-headers"] = requestHeaders.join(", ");
  if (rule.exposeHeaders.length > 0) headers["access-control-expose-headers"] = rule.exposeHeaders.join(", ");
  if (rule.maxAgeSeconds !== undefined) headers["access-control-max-age"] = String(rule.maxAgeSeconds);
  return headers;
}

/** `Access-Control-Request-Headers` as a list of lower-cased names. */
export function requestedHeaders(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
}

/**
 * Answers a preflight `OPTIONS` as S3 does: 400 without `Origin` / `Access-Control-Request-Method`, 403 when
 * the bucket has no CORS configuration or no rule allows the request, else 200 with the allowing headers.
 */
export function preflightHeaders(
  rules: readonly CorsRule[] | undefined,
  origin: string | undefined,
  method: string | undefined,
  headerList: string | undefined,
): Record<string, string> {
  if (!origin)
    throw new S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.");
  if (!method)
    throw new S3Error(
      400,
      "BadRequest",
      "Invalid Access-Control-Request-Method header. A valid Access-Control-Request-Method header is required.",
    );
  if (!rules) throw new S3Error(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
  const headers = requestedHeaders(headerList);
  const rule = s3CorsAllows(rules, origin, method, headers);
  if (!rule) {
    throw new S3Error(
      403,
      "AccessForbidden",
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      { Method: method, ResourceType: "OBJECT" },
    );
  }
  return corsResponseHeaders(rule, origin, headers, true);
}
