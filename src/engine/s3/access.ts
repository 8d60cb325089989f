import type { IncomingHttpHeaders } from "node:http";
import { notAuthorizedMessage } from "../access-denied.ts";
import type { EngineContext } from "../context.ts";
import { type PolicyDocument, parsePolicyDocument } from "../policy/document.ts";
import { evaluateResourcePolicy } from "../policy/evaluate.ts";
import type { AuthorizationResult, Caller, ConditionContext } from "../types.ts";
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
): AuthorizationResult {
  const identity = context.authorizer.authorize(caller, action, resource, conditions);
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
  if (identity.allowed || fromBucket?.allowed) return { allowed: true };
  return { allowed: false, reason: "implicit-deny" };
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

/** Canned ACLs and grantees that make an object or bucket public. */
const publicCannedAcls = new Set(["public-read", "public-read-write", "authenticated-read"]);
const publicGrantee = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/**
 * Object ACLs on writes. Ownership controls `BucketOwnerEnforced` refuse any ACL but
 * `bucket-owner-full-control` (400 AccessControlListNotSupported). Block Public Access: with `BlockPublicAcls`, a write that asks for a public ACL (canned `x-amz-acl` or an
 * `x-amz-grant-*` to everyone) is refused with 403 AccessDenied, as S3 does. Other ACLs are accepted and
 * not kept (the engine has no ACL model; objects are private to the account).
 */
export function assertAclAllowed(headers: IncomingHttpHeaders, bucket: BucketConfiguration): void {
  const acl = headers["x-amz-acl"];
  const grants = Object.entries(headers)
    .filter(([name]) => name.startsWith("x-amz-grant-"))
    .map(([, value]) => String(value));
  // BucketOwnerEnforced disables ACLs: only the owner-full-control one that changes nothing is accepted.
  if (
    bucket.ownership === "BucketOwnerEnforced" &&
    (grants.length > 0 || (acl !== undefined && acl !== "bucket-owner-full-control"))
  ) {
    throw new S3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
  }
  if (!bucket.publicAccessBlock?.BlockPublicAcls) return;
  const isPublic =
    (typeof acl === "string" && publicCannedAcls.has(acl.trim())) ||
    grants.some((grant) => publicGrantee.test(grant));
  if (isPublic) throw new S3Error(403, "AccessDenied", "Access Denied");
}
