import type { IncomingHttpHeaders } from "node:http";
import { notAuthorizedMessage } from "../access-denied.ts";
import type { EngineContext } from "../context.ts";
import type { Caller, ConditionContext } from "../types.ts";
import { S3Error } from "./errors.ts";
import type { BucketConfiguration } from "./storage/records.ts";

/** The ARN IAM policies use for a bucket (`arn:aws:s3:::b`) or an object (`arn:aws:s3:::b/k`). */
export function s3Arn(bucket: string | undefined, key?: string): string {
  if (bucket === undefined) return "arn:aws:s3:::*";
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

/** The AccessDenied error S3 returns when an identity policy does not allow an action. */
export function accessDenied(caller: Caller, action: string, resource: string, explicit: boolean): S3Error {
  const reason = explicit ? "explicit-deny" : "implicit-deny";
  return new S3Error(
    403,
    "AccessDenied",
    notAuthorizedMessage(caller, action, resource, reason, { quoteResource: true }),
  );
}

/**
 * Checks a role caller's identity policies for one S3 action; administrators are not evaluated (they may do
 * anything, as on LocalStack). Throws AccessDenied.
 */
export function authorizeS3(
  context: EngineContext,
  caller: Caller,
  action: string,
  resource: string,
  conditions?: ConditionContext,
): void {
  if (!caller.role) return;
  const verdict = context.authorizer.authorize(caller, action, resource, conditions);
  if (!verdict.allowed) throw accessDenied(caller, action, resource, verdict.reason === "explicit-deny");
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
 * Block Public Access: with `BlockPublicAcls`, a write that asks for a public ACL (canned `x-amz-acl` or an
 * `x-amz-grant-*` to everyone) is refused with 403 AccessDenied, as S3 does. Other ACLs are accepted and
 * not kept (the engine has no ACL model; objects are private to the account).
 */
export function assertAclAllowed(headers: IncomingHttpHeaders, bucket: BucketConfiguration): void {
  if (!bucket.publicAccessBlock?.BlockPublicAcls) return;
  const acl = headers["x-amz-acl"];
  const grants = Object.entries(headers)
    .filter(([name]) => name.startsWith("x-amz-grant-"))
    .map(([, value]) => String(value));
  const isPublic =
    (typeof acl === "string" && publicCannedAcls.has(acl.trim())) ||
    grants.some((grant) => publicGrantee.test(grant));
  if (isPublic) throw new S3Error(403, "AccessDenied", "Access Denied");
}
