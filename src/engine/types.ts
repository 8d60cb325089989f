import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { ObjectCreated } from "../events/s3-event.ts";
import type { QueryForm } from "./service/codecs/query.ts";

/** Who signed a request: an account administrator key, or temporary credentials of an assumed role. */
export interface Caller {
  accessKeyId: string;
  accountId: string;
  /** `arn:aws:iam::<account>:root` for administrators, `arn:aws:sts::<account>:assumed-role/<role>/<session>` for roles. */
  arn: string;
  /** Set when the caller holds temporary credentials for a role (e.g. a Lambda execution environment). */
  role?: { roleName: string; roleArn: string; sessionName: string };
}

/**
 * Who calls, in the engine's one authorization decision (policy/authorize.ts): a caller with credentials (every
 * request; a function's execution role sending to its on-failure queue), weighed by its identity policies and
 * the resource's policy, or a service principal on behalf of a resource (S3 invoking a function for a bucket),
 * which the resource's policy alone judges with `aws:SourceArn` and `aws:SourceAccount`.
 */
export type CallingPrincipal =
  | { kind: "caller"; caller: Caller }
  | { kind: "service"; service: string; sourceArn: string; sourceAccount: string };

/** The request line and headers: all that routing, the request guard and body limits look at. */
export interface RequestHead {
  method: string;
  /** Raw request path, still percent-encoded, without the query string. */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-cased header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  host: string;
}

/**
 * One HTTP request, already routed to a service. The body is read up to the operation's limit before `handle`;
 * S3 object writes instead get `bodyStream` (and an empty `body`), which the handler reads once it has checked
 * the bucket, so a refused request never has its body read.
 */
export interface ServiceRequest extends RequestHead {
  body: Buffer;
  bodyStream?: Readable;
  caller: Caller;
  /** Region from the SigV4 credential scope, or the engine's default region. */
  region: string;
  requestId: string;
  /** A query-protocol request's parameters, as the edge parsed and judged them (codecs/query.ts). */
  queryForm?: QueryForm;
}

export interface ServiceResponse {
  status: number;
  headers?: Record<string, string | number | string[]>;
  body?: Buffer | string | Readable;
}

/** Why a request from a page the engine does not allow may go on (`Service.crossOriginAccess`). */
export type CrossOriginAccess = "presigned" | "bucket-cors";

export interface Service {
  /** SigV4 signing name: `s3`, `dynamodb`, `sts`, `iam`, `lambda`, `logs`. */
  readonly signingName: string;
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /**
   * Whether a browser request from a page the engine does not allow (`origin`: its page, undefined when the
   * browser named none) may still go on, and why (S3: presigned object URLs and the bucket's CORS rules, both
   * with a valid signature). Absent: never.
   */
  crossOriginAccess?(head: RequestHead, origin: string | undefined): CrossOriginAccess | undefined;
  /** Services that hold resources (dynalite, child processes, file handles) release them here. */
  close?(): Promise<void>;
}

/** Outcome of an IAM authorization check. */
export type AuthorizationResult =
  | { allowed: true }
  | { allowed: false; reason: "explicit-deny" | "implicit-deny" };

/** Values that IAM conditions can test (`aws:SourceArn`, `s3:prefix`, ...). */
export type ConditionContext = Record<string, string | string[] | undefined>;

export interface Authorizer {
  /**
   * Evaluates the caller's identity policies for one action on one resource.
   * Administrators (non-role callers) and engines started with enforcement off are always allowed.
   */
  authorize(
    caller: Caller,
    action: string,
    resource: string,
    context?: ConditionContext,
  ): AuthorizationResult;
}

/** Emitted by S3 after an object was created and acknowledged (the shape S3 events are built from). */
export type ObjectCreatedEvent = ObjectCreated & {
  eventName:
    | "ObjectCreated:Put"
    | "ObjectCreated:Copy"
    | "ObjectCreated:CompleteMultipartUpload"
    | "ObjectCreated:Post";
};

/** Fault injection for the services that a function's role calls (tests and benchmarks). */
export interface FaultOptions {
  /** Probability 0..1 that a DynamoDB call made with a role's credentials gets throttled or a 5xx. */
  dynamodbErrorRate?: number;
  /** Probability 0..1 that an S3 HeadObject/GetObject made with a role's credentials gets a 5xx. */
  s3ErrorRate?: number;
  /** Deliver each S3 event this many times (at-least-once simulation). Default 1. */
  deliveryCopies?: number;
  /** Extra random delay, in ms, added before each event delivery (reorders deliveries). */
  deliveryJitterMs?: number;
  /** Seed for the fault RNG so failures are reproducible. */
  seed?: number;
}
