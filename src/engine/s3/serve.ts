import type { IncomingHttpHeaders } from "node:http";
import { s3Arn } from "../arn.ts";
import { type OperationCall, type RawResponse, respondWith } from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";
import { injectedReadFault, s3RequestConditions } from "./access.ts";
import { corsResponseHeaders, s3CorsAllows } from "./cors.ts";
import { S3Error } from "./errors.ts";
import { readPayload } from "./payload.ts";
import type { S3Handler, S3Runtime } from "./runtime.ts";

/**
 * What S3's operation declarations (bucket-operations.ts, object-operations.ts) share: the IAM resource of a
 * bucket or object operation, the version action, and `serve`, which runs an S3 handler as a declaration's.
 */

/** The bucket's ARN, with the condition keys S3 puts in a request's context. */
export const bucketResource = (_input: unknown, { request, labels }: OperationCall) => ({
  resource: s3Arn(labels.Bucket),
  conditions: s3RequestConditions(request.headers, request.query),
});

/** The object's ARN, with the condition keys S3 puts in a request's context. */
export const objectResource = (_input: unknown, { request, labels }: OperationCall) => ({
  resource: s3Arn(labels.Bucket, labels.Key),
  conditions: s3RequestConditions(request.headers, request.query),
});

/**
 * An object action that IAM tells apart when the request names a version (`versionId`): `s3:GetObject` →
 * `s3:GetObjectVersion`, `s3:GetObjectTagging` → `s3:GetObjectVersionTagging`. Both names are made once, here.
 */
export function versionedAction(action: string): (input: unknown, call: OperationCall) => string {
  const version = action.replace(/^s3:(\w+)Object(\w*)$/, "s3:$1ObjectVersion$2");
  return (_input, { request }) => (request.query.has("versionId") ? version : action);
}

/**
 * Reads a role's credentials make (a Lambda function's) may meet an injected fault, once they are authorized.
 * Administrators' reads never do.
 */
export const withReadFault =
  (handler: S3Handler): S3Handler =>
  (runtime, call) => {
    const fault = injectedReadFault(runtime.context, call.request.caller);
    if (fault) throw fault;
    return handler(runtime, call);
  };

/**
 * An S3 handler as a declaration's: the expected bucket owners checked, a configuration body's Content-MD5 and
 * flexible checksum verified when `verifyBody` (BadDigest, InvalidRequest), and the answer given S3's request-id
 * headers and the bucket's CORS headers.
 */
export function serve(
  runtime: S3Runtime,
  handler: S3Handler,
  options: { verifyBody?: true } = {},
): (input: unknown, call: OperationCall) => Promise<RawResponse> {
  return async (_input, { request, labels }) => {
    assertExpectedOwners(request.headers, runtime.context.accountId);
    if (options.verifyBody && request.bodyStream === undefined) readPayload(request.headers, request.body);
    const response = await handler(runtime, { request, bucket: labels.Bucket ?? "", key: labels.Key ?? "" });
    response.headers = {
      "x-amz-request-id": request.requestId,
      "x-amz-id-2": request.requestId,
      ...corsHeadersFor(runtime, request, labels.Bucket),
      ...response.headers,
    };
    return respondWith(response);
  };
}

/** CORS headers for a browser's actual request (one with `Origin`) that a bucket CORS rule allows. */
function corsHeadersFor(
  runtime: S3Runtime,
  request: ServiceRequest,
  bucket: string | undefined,
): Record<string, string> {
  const origin = request.headers.origin;
  if (typeof origin !== "string" || bucket === undefined || request.method === "OPTIONS") return {};
  const rule = s3CorsAllows(runtime.store.buckets.get(bucket)?.configuration.cors, origin, request.method);
  return rule ? corsResponseHeaders(rule, origin, [], false) : {};
}

/**
 * `x-amz-expected-bucket-owner` / `x-amz-source-expected-bucket-owner`: S3 answers 403 AccessDenied when the
 * bucket's owner is another account. Every bucket here is the engine's account's.
 */
function assertExpectedOwners(headers: IncomingHttpHeaders, accountId: string): void {
  for (const name of ["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"]) {
    const expected = headers[name];
    if (expected !== undefined && String(expected).trim() !== accountId)
      throw new S3Error(403, "AccessDenied", "Access Denied");
  }
}
