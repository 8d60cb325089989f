import type { IncomingHttpHeaders } from "node:http";
import type { ServiceStorage } from "../store/index.ts";
import type { RequestHead, ServiceResponse } from "../types.ts";
import { jsonError, speaksJson } from "./codecs/json.ts";
import { queryError } from "./codecs/query.ts";
import { restJsonError } from "./codecs/rest.ts";
import { toXml } from "./codecs/xml.ts";

/**
 * The service-level section of a declaration: everything the edge needs to know about a service before the
 * service sees a request (how a request names it, how much body it reads, which operations may not come as a GET,
 * its throttling and failure answers, how its protocol renders an error). The edge, the request guard and the
 * body limits read sections from a `ServiceRegistry` (registry.ts) and never test a service's name.
 */

/** A buffered body's limit, and the error a larger body gets. */
export interface BufferedBody {
  bytes: number;
  status: number;
  code: string;
  message: string;
  /** The query protocol's code, when it differs (SQS: also sent as `x-amzn-query-error` on JSON). */
  queryCode?: string;
}

/** How much of a body the edge reads: up to a limit, or none (S3 object writes stream to the service). */
export type BodyLimit = BufferedBody | { stream: true };

/** An error the edge answers before the service runs. */
export interface EdgeError {
  status: number;
  code: string;
  message: string;
  queryCode?: string;
}

/**
 * The protocols a service's requests arrive in, and their facts: what the edge routes and renders errors by, and
 * what the dispatcher decodes and encodes by (a service may answer more than one on its endpoint: SQS, JSON and
 * query). The protocols' behaviour (a query codec, S3's error details) is in the service's declaration.
 */
interface SectionProtocols {
  /**
   * `Action=<Op>`; `version` names an unsigned query request's service (LocalStack routes by it too) and is the API
   * version of the unknown-operation error; `namespace` goes on every answer's root element.
   */
  query?: { version: string; namespace: string };
  /**
   * `X-Amz-Target: <prefix>.<Op>`: the prefixes that name this service, and the `__type` namespace of errors.
   * `fullErrorType`: `x-amzn-errortype` carries the whole shape id (`com.amazonaws.sqs#QueueDoesNotExist`), as
   * `__type` does, instead of the bare code. `version`: the protocol's, `awsJson1_0` or `awsJson1_1`, whose media
   * type every answer carries, errors included (`application/x-amz-json-1.1` for CloudWatch Logs: the SDK's
   * `AwsJson1_1Protocol`, @aws-sdk/core 3.981.1).
   */
  json?: {
    version: "1.0" | "1.1";
    targetPrefixes: readonly string[];
    errorPrefix: string;
    fullErrorType?: boolean;
  };
  /**
   * Method and path with JSON errors: `paths` are the path prefixes that name the service on a request that is not
   * signed for it (LocalStack's `custom_path_addressing_rules`); `errorSuffix` is appended to codes the edge
   * writes that lack it (Lambda's codes all end in `Exception`).
   */
  restJson?: { paths: RegExp; errorSuffix?: string };
  /** Method and path with XML bodies and errors (`<Error>` with the request id); `namespace` on outputs' root. */
  restXml?: { namespace?: string };
}

/** Query actions that only read (IAM, STS, SQS); any other must not come as a GET (an `<img>` or a link). */
export const readOnlyQueryActions = /^(Get|List|Simulate|Generate|Decode)[A-Z]/;

export type EdgeProtocol = "query" | "json" | "rest-json" | "rest-xml";

export interface ServiceSection {
  /** SigV4 signing name: what a credential scope names, and the service's name in the registry. */
  signingName: string;
  protocols: SectionProtocols;
  /** The service that takes any request no other service claims (S3: browsers, presigned URLs). At most one. */
  fallback?: true;
  /**
   * Requests whose CORS answers are the service's own (S3's presigned URLs: the bucket's CORS rules), so the edge
   * adds none and answers no preflight for them, even for a page the engine allows.
   */
  ownsCors?(head: RequestHead): boolean;
  /**
   * The body limit of a request (`operation`: the JSON target's or the query string's operation, `""` when the
   * head does not name one), decided from the head alone so an oversized body is refused before it is read.
   */
  bodyLimit(head: RequestHead, operation: string): BodyLimit;
  /**
   * Operations that only read, by name; any other operation named in a GET or HEAD (an `<img>`, a link) is
   * refused before it runs. Absent: the service's routes decide what a GET does (the REST protocols).
   */
  readOnlyOperations?: RegExp;
  /** The answer beyond the engine's budget of buffered request bytes (SDKs retry it with backoff). */
  throttling: { status: number; code: string; message?: string };
  /** The code of the engine's own failure (a 500) in this service's words. */
  internalErrorCode: string;
  /** What it keeps under a `--persist` directory, for `pipeline repair`; absent: nothing (STS). */
  storage?: ServiceStorage;
}

/** The protocol a request to `section` speaks: JSON or query by its headers when the service answers both. */
export function requestProtocol(section: ServiceSection, headers: IncomingHttpHeaders): EdgeProtocol {
  const { query, json, restJson } = section.protocols;
  if (json && query) return speaksJson(headers) ? "json" : "query";
  if (query) return "query";
  if (json) return "json";
  return restJson ? "rest-json" : "rest-xml";
}

/**
 * The refusal of a request whose temporary credentials are expired, or are not a session the engine issued (an
 * access key of its own without its token, or with another's), in the words each protocol's AWS services use
 * (docs/security.md, "Temporary credentials", cites them): S3's `ExpiredToken` and `InvalidToken` (400); the AWS
 * common errors `ExpiredTokenException` (403) and `UnrecognizedClientException` elsewhere, with the query
 * protocol's codes `ExpiredToken` and `InvalidClientTokenId` (403).
 */
export function credentialRefusal(kind: "expired" | "invalid", protocol: EdgeProtocol): EdgeError {
  if (protocol === "rest-xml") {
    return kind === "expired"
      ? { status: 400, code: "ExpiredToken", message: "The provided token has expired." }
      : {
          status: 400,
          code: "InvalidToken",
          message: "The provided token is malformed or otherwise invalid.",
        };
  }
  if (kind === "expired") {
    return {
      status: 403,
      code: "ExpiredTokenException",
      queryCode: "ExpiredToken",
      message: "The security token included in the request is expired",
    };
  }
  return {
    status: protocol === "json" ? 400 : 403,
    code: "UnrecognizedClientException",
    queryCode: "InvalidClientTokenId",
    message: "The security token included in the request is invalid.",
  };
}

/** An edge error in the protocol `protocol` of `section`; engine-internal routes (no section) answer plain JSON. */
export function renderEdgeError(
  section: ServiceSection | undefined,
  protocol: EdgeProtocol,
  error: EdgeError,
  requestId: string,
  extra: Record<string, string> = {},
): ServiceResponse {
  const { status, code, message } = error;
  if (section === undefined) {
    return {
      status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ error: code, message }),
    };
  }
  switch (protocol) {
    case "query":
      return queryError(status, error.queryCode ?? code, message, requestId);
    case "json": {
      const json = section.protocols.json;
      const prefix = json?.errorPrefix ?? "";
      const headers: Record<string, string> = error.queryCode
        ? { "x-amzn-query-error": `${error.queryCode};${status >= 500 ? "Receiver" : "Sender"}` }
        : {};
      if (json?.fullErrorType) headers["x-amzn-errortype"] = `${prefix}#${code}`;
      return jsonError(status, code, message, prefix, headers, json?.version);
    }
    case "rest-json": {
      const suffix = section.protocols.restJson?.errorSuffix ?? "";
      return restJsonError(status, code.endsWith(suffix) ? code : `${code}${suffix}`, message, extra);
    }
    case "rest-xml":
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: toXml("Error", { Code: code, Message: message, RequestId: requestId }),
      };
  }
}

/** The operation a request head names before its body is read: the JSON target's suffix, or the query's Action. */
export function operationOfHead(head: RequestHead): string {
  const target = head.headers["x-amz-target"];
  if (typeof target === "string" && target !== "") {
    // The part after the first dot, to the next (split(".")[1], without making the array on every request).
    const dot = target.indexOf(".");
    if (dot === -1) return "";
    const end = target.indexOf(".", dot + 1);
    return target.slice(dot + 1, end === -1 ? undefined : end);
  }
  return head.query.get("Action") ?? "";
}
