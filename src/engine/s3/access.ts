import type { IncomingHttpHeaders } from "node:http";
import type { EngineContext } from "../context.ts";
import { headerValue } from "../headers.ts";
import {
  authorizeRequest,
  deniedMessage,
  type ResourcePolicy,
  resourcePolicyDocument,
} from "../policy/authorize.ts";
import type { Caller, ConditionContext } from "../types.ts";
import { aclRequestFromHeaders, decideAclWrite, effectiveOwnership } from "./acl.ts";
import { S3Error } from "./errors.ts";
import type { BucketConfiguration } from "./storage/records.ts";

/**
 * A bucket's policy as the engine's one authorization decision weighs it (policy/authorize.ts), with Block Public
 * Access's RestrictPublicBuckets: a public policy then grants nothing outside the bucket owner's account.
 */
export function bucketResourcePolicy(
  ownerAccount: string,
  configuration: BucketConfiguration | undefined,
): ResourcePolicy | undefined {
  const document = resourcePolicyDocument(configuration?.policy);
  if (!document) return undefined;
  const restrict = configuration?.publicAccessBlock?.RestrictPublicBuckets === true;
  return restrict ? { document, restrictPublicTo: ownerAccount } : { document };
}

/**
 * Authorizes a check inside a handler (each key of DeleteObjects, a copy's source) as the dispatcher does every
 * request, with the bucket's policy: throws S3's AccessDenied, the resource quoted.
 */
export function authorizeS3(
  context: EngineContext,
  caller: Caller,
  action: string,
  resource: string,
  conditions: ConditionContext,
  bucket: BucketConfiguration,
): void {
  const request = { principal: { kind: "caller", caller } as const, action, resource, conditions };
  const verdict = authorizeRequest(
    context.authorizer,
    request,
    bucketResourcePolicy(context.accountId, bucket),
  );
  if (!verdict.allowed)
    throw new S3Error(403, "AccessDenied", deniedMessage(request, verdict, { quoteResource: true }));
}

/** The condition keys S3 puts in a request's context (those policies commonly test). */
export function s3RequestConditions(headers: IncomingHttpHeaders, query: URLSearchParams): ConditionContext {
  return {
    "aws:SecureTransport": "false",
    "s3:prefix": query.get("prefix") ?? undefined,
    "s3:delimiter": query.get("delimiter") ?? undefined,
    "s3:max-keys": query.get("max-keys") ?? undefined,
    "s3:VersionId": query.get("versionId") ?? undefined,
    "s3:x-amz-server-side-encryption": headerValue(headers, "x-amz-server-side-encryption"),
    "s3:x-amz-server-side-encryption-aws-kms-key-id": headerValue(
      headers,
      "x-amz-server-side-encryption-aws-kms-key-id",
    ),
    "s3:x-amz-server-side-encryption-customer-algorithm": headerValue(
      headers,
      "x-amz-server-side-encryption-customer-algorithm",
    ),
    "s3:x-amz-acl": headerValue(headers, "x-amz-acl"),
    "s3:x-amz-storage-class": headerValue(headers, "x-amz-storage-class"),
    "s3:x-amz-copy-source": headerValue(headers, "x-amz-copy-source"),
    "s3:x-amz-metadata-directive": headerValue(headers, "x-amz-metadata-directive"),
  };
}

/**
 * Injected faults for reads made with a role's credentials (what a Lambda function does): with probability
 * `s3ErrorRate`, a 503 SlowDown or a 500 InternalError, chosen by the same seeded generator.
 */
export function injectedReadFault(context: EngineContext, caller: Caller): S3Error | undefined {
  if (!caller.role) return undefined;
  const faults = context.faults;
  if (!faults.shouldFail(faults.options.s3ErrorRate)) return undefined;
  return faults.random() < 0.5
    ? new S3Error(503, "SlowDown", "Please reduce your request rate. (injected fault)")
    : new S3Error(
        500,
        "InternalError",
        "We encountered an internal error. Please try again. (injected fault)",
      );
}

/**
 * Object ACLs on writes (PutObject, CopyObject, CreateMultipartUpload, form uploads): S3's ownership and Block
 * Public Access rules (acl.ts `decideAclWrite`); the canned ACL kept, if any, is stored by
 * `attributesFromRequest`.
 */
export function assertAclAllowed(headers: IncomingHttpHeaders, bucket: BucketConfiguration): void {
  decideAclWrite(
    "writeObject",
    effectiveOwnership(bucket),
    bucket.publicAccessBlock,
    aclRequestFromHeaders(headers),
  );
}
