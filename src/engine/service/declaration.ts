import type * as z from "zod";
import type { PolicyType, ResourcePolicy } from "../policy/authorize.ts";
import type { Caller, ConditionContext, ServiceRequest, ServiceResponse } from "../types.ts";
import type { QueryParams } from "./codecs/query.ts";
import type { HttpRoute } from "./codecs/rest.ts";
import type { ServiceError } from "./errors.ts";
import type { ServiceSection } from "./section.ts";
import type { InputIssue } from "./validation.ts";

/**
 * The one shape of a service: its SigV4 signing name, the protocol(s) it answers, and its operations, each
 * with its name, the IAM action and resource it needs, an input schema and a handler. `createDispatcher`
 * (dispatcher.ts) turns a declaration into the `handle` of a `Service`.
 */

export type ProtocolName = "query" | "json" | "rest-json" | "rest-xml";

/**
 * How a service's protocols behave where a rule does not do: the protocols themselves, with their versions,
 * prefixes and namespaces, are the section's (`section.protocols`), which the edge reads too.
 */
interface ProtocolHooks {
  /**
   * Maps every operation's query parameters to its input and its output to the `<OpResult>` content when the
   * service's query shapes differ from its JSON ones by rule (SQS: `Attribute.N.Name` is the `Attributes` map); an
   * operation's own `decode.query`/`encode.query` still wins.
   */
  queryCodec?: {
    decode(params: QueryParams, operation: AnyOperation): unknown;
    encode(output: unknown, operation: AnyOperation): Record<string, unknown> | undefined;
  };
  /** The extra elements of a REST-XML `<Error>` (S3's `Resource`, `BucketName` ...). */
  restXmlErrorDetails?(error: ServiceError, request: ServiceRequest): Record<string, string>;
}

/** One call as the dispatcher hands it to an operation's resource, conditions and handler. */
export interface OperationCall {
  /** The operation's name (`""` when the request names none, for `unknownOperation` and `fallback`). */
  operation: string;
  request: ServiceRequest;
  protocol: ProtocolName;
  /** The labels of the matched REST route (`{FunctionName}` ...); empty for the other protocols. */
  labels: Record<string, string>;
}

/** An IAM resource an operation needs, with condition keys when its policy conditions may test some. */
export type ResourceTarget = string | { resource: string; conditions?: ConditionContext };

/** A handler's answer when the protocol's encoding does not fit (a raw payload, a status, headers). */
export class RawResponse {
  readonly response: ServiceResponse;

  constructor(response: ServiceResponse) {
    this.response = response;
  }
}

/** Wraps a fully formed response so the dispatcher sends it as it is. */
export const respondWith = (response: ServiceResponse): RawResponse => new RawResponse(response);

export interface OperationDeclaration<Input = unknown, Output = unknown> {
  /** The API operation's name: the query `Action`, the JSON target's suffix. */
  name: string;
  /**
   * The IAM action the caller needs (default `<iamPrefix>:<name>`); `null` for operations any caller may call
   * (GetCallerIdentity) or that check permission themselves; a function when the request changes it (S3:
   * `s3:GetObjectVersion` when a version is named).
   */
  action?: string | null | ((input: NoInfer<Input>, call: OperationCall) => string | null);
  /**
   * What the caller needs the action on (default `*`): one place for authorization. It may throw a
   * ServiceError (a 404 answered before the 403, as Lambda does for a missing function).
   */
  resource?(input: NoInfer<Input>, call: OperationCall): ResourceTarget | readonly ResourceTarget[];
  /** The input schema; without it the decoded input is passed as it is. */
  input?: z.ZodType<Input>;
  /**
   * The route, for the REST protocols, in Smithy's grammar (codecs/rest.ts `HttpRoute`: labels, required query
   * keys `?acl`, a required header); the most specific matching route wins. The input is the route's labels,
   * merged into the JSON body when `body` is `"json"` (the default with an `input` schema); `"raw"` (the default
   * without) leaves the body to the handler (`call.request.body`). With an `input` schema, query parameters and the
   * headers `headers` binds are members too (codecs/rest.ts `boundMembers`): a parameter is the member of its own
   * name unless `query` binds it to another (`{ TagKeys: { list: "tagKeys" } }`).
   */
  http?: HttpRoute & {
    status?: number;
    body?: "json" | "raw";
    query?: Record<string, string | { list: string }>;
    headers?: Record<string, string>;
  };
  /**
   * The input members, for an operation whose members travel in headers and the query rather than in an
   * `input` schema (S3's REST-XML): those it `handled`, and those it `refused` by name, each with its wire (a
   * lower-case header, or `?key`). A request carrying a refused one is answered `refusedMember` once it is
   * authorized, never served as if the member were absent.
   */
  members?: { handled: readonly string[]; refused?: Readonly<Record<string, string>> };
  /** Per-protocol decoders when the generic one does not fit (query maps and renamed members, lenient JSON). */
  decode?: {
    query?(params: QueryParams): unknown;
    json?(body: Buffer): unknown;
  };
  /** Per-protocol encoders: query output is XML, whose lists and maps differ from JSON's. */
  encode?: {
    query?(output: Output): Record<string, unknown> | undefined;
  };
  handler(input: NoInfer<Input>, call: OperationCall): Output | RawResponse | Promise<Output | RawResponse>;
}

/** An operation with its input and output types erased, as a declaration lists them. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds operations of every input and output type.
export type AnyOperation = OperationDeclaration<any, any>;

/** Declares one operation, inferring the handler's input type from the schema. */
export function operation<Input, Output>(declaration: OperationDeclaration<Input, Output>): AnyOperation {
  return declaration;
}

/** A call the authorizer refused. */
interface Denial {
  caller: Caller;
  action: string;
  resource: string;
  reason: "explicit-deny" | "implicit-deny";
  policyType: PolicyType;
  /** AWS's sentence: "User: ... is not authorized to perform: ... on resource: ... because ...". */
  message: string;
}

export interface ServiceDeclaration {
  /**
   * The service-level section (section.ts): its SigV4 signing name, what names it on the edge, body limits per
   * operation, which operations may not come as a GET, its throttling and failure errors. The same object is
   * listed in the engine's registry (src/engine/registry.ts), which the edge reads.
   */
  section: ServiceSection;
  /** Prefix of the IAM actions (default: the signing name). */
  iamPrefix?: string;
  /** What the section's protocols need beyond their facts (none for most services). */
  protocolHooks?: ProtocolHooks;
  operations: readonly AnyOperation[];
  /**
   * The service's validation error (default 400 `ValidationError` in query, `ValidationException` otherwise);
   * `issues` are the failed members of an input schema, for a service that words them its own way (none when
   * the failure is not a schema's); undefined leaves it to the default.
   */
  validationError?(
    message: string,
    protocol: ProtocolName,
    issues: readonly InputIssue[],
  ): ServiceError | undefined;
  /**
   * The service's own answer to a JSON body nested past what the engine parses safely (default: a validation
   * error saying so); DynamoDB answers its nesting limit in AWS's words.
   */
  tooDeeplyNested?(): ServiceError;
  /**
   * The service's answer to a denied call (`message` is AWS's sentence, from policy/authorize.ts); default
   * per protocol: query 403 `AccessDenied`, json 400 `AccessDeniedException`, rest-json 403
   * `AccessDeniedException`, rest-xml 403 `AccessDenied` with the resource quoted.
   */
  accessDenied?: { error?(message: string, denial: Denial): ServiceError; quoteResource?: boolean };
  /**
   * The answer to a member `operation`'s schema does not declare (default: one 400 naming them all);
   * `undefined` accepts a value that means the default and drops it (Lambda's `Layers: []`, an empty ARN).
   */
  unsupportedMember?(operation: string, member: string, value: unknown): ServiceError | undefined;
  /** The answer for a request that names no operation of this service; default per protocol. */
  unknownOperation?(name: string, call: OperationCall): ServiceError;
  /**
   * The path a REST request's declared routes are matched against, when the address is not the path alone
   * (S3's virtual-hosted buckets: `<bucket>.s3.localhost.localstack.cloud/<key>` routes as `/<bucket>/<key>`);
   * default the request's raw path. It may throw a ServiceError (a request refused before any operation).
   */
  resolve?(request: ServiceRequest): string;
  /** Percent-decodes a route label (default: `decodeURIComponent`, the raw text when malformed). */
  decodeLabel?(raw: string): string;
  /** The answer to a member an operation refuses (`members.refused`); default a 400 validation error naming it. */
  refusedMember?(member: string, wire: string): ServiceError;
  /**
   * Serves operations the service does not declare (DynamoDB forwards them to its backend), once the caller
   * is allowed `<iamPrefix>:<name>` on `*`; `name` is empty when the request names none.
   */
  fallback?(name: string, call: OperationCall): Promise<ServiceResponse>;
  /**
   * Checks the request's credentials once its operation is known, before authorization; throws a ServiceError
   * (S3 verifies SigV4 signatures here when the engine is told to).
   */
  authenticate?(name: string, call: OperationCall): void;
  /**
   * The policy of the resource a check names, when the service's resources carry their own (a bucket, queue or
   * function policy): the dispatcher weighs it with the caller's identity policies in policy/authorize.ts, the
   * engine's one authorization decision. Absent, or undefined for a resource without one: identity policies
   * alone decide.
   */
  resourcePolicy?(resource: string, call: OperationCall): ResourcePolicy | undefined;
  /** Turns an error that is not a ServiceError into one (else it propagates to the edge as a 500). */
  unexpectedError?(error: unknown, request: ServiceRequest): ServiceError | undefined;
}
