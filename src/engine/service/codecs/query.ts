import type { ServiceRequest, ServiceResponse } from "../../types.ts";
import { constraint, validationMessage } from "../../validation-message.ts";
import { ServiceError } from "../errors.ts";
import { toXml } from "./xml.ts";

/**
 * The AWS query protocol (IAM, STS, SQS from older clients): `Action=CreateRole&RoleName=x&Tags.member.1.Key=k`
 * as a form body or in the query string, answered with `<ActionResponse><ActionResult>…</ActionResult>
 * <ResponseMetadata/></ActionResponse>` and errors as `<ErrorResponse><Error>…</Error></ErrorResponse>`.
 */

/** Parameters that name the call or sign it, not members of the operation's input. */
const envelopeParameter = /^(Action|Version|X-Amz-[\w-]+|AWSAccessKeyId|Signature\w*|Timestamp|Expires)$/i;

/** Parameters that name the call: each may appear once in a request, query string and body together. */
const singleParameters = ["Action", "Version"] as const;

/**
 * A query request's parameters, parsed once (by the edge, before its guard and limits judge the request) and
 * read by the service: the query string, then the form body, later values replacing earlier ones. `repeated`
 * names the call parameters (`Action`, `Version`) that appear more than once, which the edge refuses: a reader
 * that took the first would judge a request that one taking the last executes.
 */
export interface QueryForm {
  params: ReadonlyMap<string, string>;
  repeated: string[];
}

/**
 * The refusal of a query request whose call parameters repeat: AWS's common `InvalidQueryParameter` ("the AWS
 * query string is malformed or does not adhere to AWS standards", 400; docs/security.md cites it).
 */
export function repeatedParameterError(repeated: readonly string[]): ServiceError {
  return new ServiceError(
    400,
    "InvalidQueryParameter",
    `The parameter${repeated.length > 1 ? "s" : ""} ${repeated.join(" and ")} may appear only once in a request (query string and body together)`,
  );
}

/** Parses a query request's parameters from its query string and (form-encoded) body. Pure. */
export function parseQueryForm(query: URLSearchParams, body: Buffer): QueryForm {
  const params = new Map<string, string>();
  const counts = new Map<string, number>();
  const add = (entries: Iterable<[string, string]>) => {
    for (const [name, value] of entries) {
      params.set(name, value);
      if ((singleParameters as readonly string[]).includes(name))
        counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  };
  add(query);
  if (body.length > 0) add(new URLSearchParams(body.toString("utf8")));
  const repeated = [...counts].filter(([, count]) => count > 1).map(([name]) => name);
  return { params, repeated };
}

/**
 * The parameters of one query request (its `QueryForm`, the edge's parse when there is one). Reading them
 * through typed getters is the IAM handlers' way; `decodeQueryInput` turns them into an input object.
 */
export class QueryParams {
  readonly #params: ReadonlyMap<string, string>;
  readonly #invalid: (message: string) => ServiceError;

  constructor(
    request: Pick<ServiceRequest, "query" | "body" | "queryForm">,
    invalid: (message: string) => ServiceError = (message) =>
      new ServiceError(400, "ValidationError", message),
  ) {
    this.#invalid = invalid;
    this.#params = (request.queryForm ?? parseQueryForm(request.query, request.body)).params;
  }

  get action(): string {
    return this.#params.get("Action") ?? "";
  }

  get(name: string): string | undefined {
    return this.#params.get(name);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#params.entries();
  }

  /** A required parameter; a missing one is a validation error, worded as AWS words it. */
  required(name: string): string {
    const value = this.#params.get(name);
    if (value === undefined || value === "") {
      const field = name.charAt(0).toLowerCase() + name.slice(1);
      throw this.#invalid(validationMessage(field, null, constraint.notNull));
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.#params.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed))
      throw this.#invalid(`Value '${value}' at '${name}' is not a valid integer`);
    return parsed;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#params.get(name);
    return value === undefined ? undefined : value.toLowerCase() === "true";
  }

  /** `Name.member.1`, `Name.member.2`, ... in order. */
  list(name: string): string[] {
    const values: string[] = [];
    for (let index = 1; ; index++) {
      const value = this.#params.get(`${name}.member.${index}`);
      if (value === undefined) return values;
      values.push(value);
    }
  }

  /** `Tags.member.N.Key` / `Tags.member.N.Value`. */
  tags(name = "Tags"): Array<{ Key: string; Value: string }> {
    const tags: Array<{ Key: string; Value: string }> = [];
    for (let index = 1; ; index++) {
      const key = this.#params.get(`${name}.member.${index}.Key`);
      if (key === undefined) return tags;
      tags.push({ Key: key, Value: this.#params.get(`${name}.member.${index}.Value`) ?? "" });
    }
  }
}

type Node = Record<string, unknown> | unknown[];

/**
 * The parameters as one input object: dotted names nest, 1-based numbers index lists and the `member` wrapper
 * of IAM's lists is dropped, so `Tags.member.1.Key=k` is `{Tags: [{Key: "k"}]}`, `AttributeName.1=All` is
 * `{AttributeName: ["All"]}` and `Attribute.1.Name=n` is `{Attribute: [{Name: "n"}]}`. Values stay strings (a
 * schema coerces); the envelope (`Action`, `Version`, signature parameters) is left out. Maps and renamed
 * members are the operation's to reshape (its `decode.query`).
 */
export function decodeQueryInput(params: QueryParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of params.entries()) {
    if (envelopeParameter.test(name)) continue;
    const path = name.split(".").filter((segment) => segment !== "member" && segment !== "");
    let node: Node = root;
    path.forEach((segment, position) => {
      const last = position === path.length - 1;
      const key: string | number = /^\d+$/.test(segment) ? Number(segment) - 1 : segment;
      if (typeof key === "number" && (key < 0 || !Array.isArray(node))) return;
      const slot = node as Record<string | number, unknown>;
      if (last) {
        slot[key] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(path[position + 1] ?? "");
      const existing = slot[key];
      const child: Node =
        existing !== null && typeof existing === "object" ? (existing as Node) : nextIsIndex ? [] : {};
      slot[key] = child;
      node = child;
    });
  }
  return root;
}

/** A query-protocol answer: `<XResponse>`, with `<XResult>` only when there is a result, as AWS answers. */
export function queryResponse(
  action: string,
  result: Record<string, unknown> | undefined,
  requestId: string,
  namespace: string,
): ServiceResponse {
  const body = {
    ...(result === undefined ? {} : { [`${action}Result`]: result }),
    ResponseMetadata: { RequestId: requestId },
  };
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body: toXml(`${action}Response`, body, namespace),
  };
}

/** Query protocol error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. */
export function queryError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): ServiceResponse {
  return {
    status,
    headers: { "content-type": "text/xml", ...headers },
    body: toXml("ErrorResponse", {
      Error: { Type: status >= 500 ? "Receiver" : "Sender", Code: code, Message: message },
      RequestId: requestId,
    }),
  };
}

/** A ServiceError in the query protocol (its query code when it has one). */
export function renderQueryError(error: ServiceError, requestId: string): ServiceResponse {
  return queryError(error.status, error.queryCode ?? error.code, error.message, requestId, error.headers);
}
