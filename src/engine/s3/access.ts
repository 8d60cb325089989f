import type { IncomingHttpHeaders } from "node:http";
import { notAuthorizedMessage } from "../access-denied.ts";
import type { EngineContext } from "../context.ts";
import { type PolicyDocument, parsePolicyDocument } from "../policy/document.ts";
import { evaluateResourcePolicy } from "../policy/evaluate.ts";
import type { AuthorizationResult, Caller, ConditionContext } from "../types.ts";
import { aclRequestFromHeaders, decideAclWrite, effectiveOwnership } from "./acl.ts";
import { S3Error } from "./errors.ts";
import type { BucketConfiguration } from "./storage/records.ts";

/** The AccessDenied error S3 returns when an identity policy does not allow an action. */
export function accessDenied(caller: Caller, action: string, resource: string, explicit: boolean): S3Error {
  const reason = explicit ? "explicit-deny" : "implicit-deny";
  return new S3Error(
    403,
    "AccessDenied",
    notAuthorizedMessage(caller, action, resource, reason, { quoteResource: true }),
  );
}

const parsedPolicies = new Map<string, PolicyDocument>();

/** A bucket's stored policy, parsed once (it was validated when stored). */
export function bucketPolicyDocument(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined) return undefined;
  let document = parsedPolicies.get(text);
  if (!document) {
    document = parsePolicyDocument(text, "resource");
    if (parsedPolicies.size > 256) parsedPolicies.clear();
    parsedPolicies.set(text, document);
  }
  return document;
}

/**
 * Decides one S3 action as AWS does within an account: the caller's identity policies (roles; account
 * administrators may do anything, as on LocalStack) together with the bucket policy, evaluated by the engine's
 * IAM evaluator. An explicit Deny in either wins (a bucket policy binds administrators too); otherwise an Allow
 * in either suffices.
 */
export function s3Authorization(
  context: EngineContext,
  caller: Caller,
  action: string,
  resource: string,
  conditions: ConditionContext = {},
  bucketPolicy?: PolicyDocument,
  restrictPublicBuckets = false,
): AuthorizationResult {
  const identity = context.authorizer.authorize(caller, action, resource, conditions);
  // Block Public Access's RestrictPublicBuckets: a public bucket policy grants nothing outside the bucket owner's
  // account ("public and cross-account access within any public bucket policy ... is blocked"); Deny still binds.
  const restricted =
    restrictPublicBuckets &&
    bucketPolicy !== undefined &&
    caller.accountId !== context.accountId &&
    isPublicPolicy(bucketPolicy);
  const fromBucket = bucketPolicy
    ? evaluateResourcePolicy(
        bucketPolicy,
        { aws: caller.arn },
        {
          action,
          resource,
          context: {
            "aws:PrincipalArn": caller.role?.roleArn ?? caller.arn,
            "aws:PrincipalAccount": caller.accountId,
            ...conditions,
          },
        },
      )
    : undefined;
  const explicit = identity.allowed === false && identity.reason === "explicit-deny";
  if (explicit || (fromBucket?.allowed === false && fromBucket.reason === "explicit-deny"))
    return { allowed: false, reason: "explicit-deny" };
  if (identity.allowed || (fromBucket?.allowed && !restricted)) return { allowed: true };
  return { allowed: false, reason: "implicit-deny" };
}

/**
 * Whether a bucket policy is public as Block Public Access judges it: an Allow to every principal (`"*"` or
 * `{"AWS": "*"}`) without a Condition (a condition may pin it to fixed values; the engine does not weigh which).
 */
export function isPublicPolicy(document: PolicyDocument): boolean {
  return document.Statement.some((statement) => {
    if (statement.Effect !== "Allow" || statement.Condition !== undefined) return false;
    const principal = statement.Principal;
    if (principal === "*") return true;
    if (principal === undefined) return false;
    const aws = principal.AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
  });
}

/** `s3Authorization` for checks inside a handler (each key of DeleteObjects, a copy's source): throws AccessDenied. */
export function authorizeS3(...check: Parameters<typeof s3Authorization>): void {
  const verdict = s3Authorization(...check);
  const [, caller, action, resource] = check;
  if (!verdict.allowed) throw accessDenied(caller, action, resource, verdict.reason === "explicit-deny");
}

/** The condition keys S3 puts in a request's context (those policies commonly test). */
export function s3RequestConditions(headers: IncomingHttpHeaders, query: URLSearchParams): ConditionContext {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    "aws:SecureTransport": "false",
    "s3:prefix": query.get("prefix") ?? undefined,
    "s3:delimiter": query.get("delimiter") ?? undefined,
    "s3:max-keys": query.get("max-keys") ?? undefined,
    "s3:VersionId": query.get("versionId") ?? undefined,
    "s3:x-amz-server-side-encryption": header("x-amz-server-side-encryption"),
    "s3:x-amz-server-side-encryption-aws-kms-key-id": header("x-amz-server-side-encryption-aws-kms-key-id"),
    "s3:x-amz-server-side-encryption-customer-algorithm": header(
      "x-amz-server-side-encryption-customer-algorithm",
    ),
    "s3:x-amz-acl": header("x-amz-acl"),
    "s3:x-amz-storage-class": header("x-amz-storage-class"),
    "s3:x-amz-copy-source": header("x-amz-copy-source"),
    "s3:x-amz-metadata-directive": header("x-amz-metadata-directive"),
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
