import type { Authorizer, CallingPrincipal, ConditionContext } from "../types.ts";
import { type PolicyDocument, storedPolicyDocument } from "./document.ts";
import { evaluateResourcePolicy, type RequestPrincipal } from "./evaluate.ts";

/**
 * The engine's one authorization decision: a caller's identity policies together with the resource's own
 * policy (a bucket, queue or function policy), as AWS evaluates a request within one account
 * (IAM User Guide, "Policy evaluation for requests within a single account",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html:
 * "An explicit deny in any of the policies overrides the allow. ... If either the identity-based policy or the
 * resource-based policy within the same account allows the request and the other doesn't, the request is still
 * allowed."). A service principal (S3 invoking a function or sending to a queue, Lambda sending to a
 * destination) holds no identity policies: the resource's policy alone decides, with the service's
 * `aws:SourceArn` and `aws:SourceAccount`. The dispatcher (every service's declaration) and the delivery
 * checks (SQS's `QueueSender`, Lambda's `authorizeInvoke`) all decide here.
 */

/** One request: `principal` wants `action` on `resource`, with the request's condition keys. */
export interface AuthorizationRequest {
  principal: CallingPrincipal;
  action: string;
  resource: string;
  conditions?: ConditionContext | undefined;
}

/** A resource's own policy, parsed, as a service's declaration finds it (`resourcePolicy`). */
export interface ResourcePolicy {
  document: PolicyDocument;
  /**
   * S3 Block Public Access's RestrictPublicBuckets: the account owning the resource, when a public policy
   * ("public and cross-account access within any public bucket policy ... is blocked") may grant only within
   * it and to service principals; its Deny still binds everyone.
   */
  restrictPublicTo?: string | undefined;
}

/** Which policy decided a refusal, in AWS's words ("identity-based", "resource-based"). */
export type PolicyType = "identity-based" | "resource-based";

/** The decision, with AWS's reason for a refusal. */
export type Verdict =
  | { allowed: true }
  | { allowed: false; reason: "explicit-deny" | "implicit-deny"; policyType: PolicyType };

/**
 * Decides one request: an explicit Deny in the identity policies or the resource policy wins; else an Allow in
 * either suffices; else it is implicitly denied. `identity` is the engine's authorizer (administrators and an
 * engine with enforcement off are allowed by it; a resource policy's Deny binds them still).
 *
 * @example
 * authorizeRequest(authorizer, { principal: asS3, action: "sqs:SendMessage", resource: queueArn }, queuePolicy)
 */
export function authorizeRequest(
  identity: Authorizer,
  request: AuthorizationRequest,
  resourcePolicy?: ResourcePolicy,
): Verdict {
  const { principal, action, resource } = request;
  const conditions = request.conditions ?? {};
  const identityVerdict =
    principal.kind === "caller"
      ? identity.authorize(principal.caller, action, resource, conditions)
      : undefined;
  if (identityVerdict?.allowed === false && identityVerdict.reason === "explicit-deny")
    return { allowed: false, reason: "explicit-deny", policyType: "identity-based" };
  const resourceVerdict = resourcePolicy
    ? evaluateResourcePolicy(resourcePolicy.document, requestPrincipal(principal), {
        action,
        resource,
        context: { ...principalConditions(principal), ...conditions },
      })
    : undefined;
  if (resourceVerdict?.allowed === false && resourceVerdict.reason === "explicit-deny")
    return { allowed: false, reason: "explicit-deny", policyType: "resource-based" };
  if (identityVerdict?.allowed) return { allowed: true };
  if (resourceVerdict?.allowed && !publicGrantRestricted(principal, resourcePolicy)) return { allowed: true };
  return {
    allowed: false,
    reason: "implicit-deny",
    policyType: principal.kind === "caller" ? "identity-based" : "resource-based",
  };
}

/**
 * AWS's sentence for a refusal (IAM User Guide, "Troubleshooting access denied error messages",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html: "with an explicit deny in
 * a type policy" / "because no type policy allows the action action"), e.g. `User: arn:aws:sts::…:assumed-role/r/s
 * is not authorized to perform: dynamodb:PutItem on resource: arn:… because no identity-based policy allows the
 * dynamodb:PutItem action`. S3 quotes the resource; the JSON and Query services do not. A service principal is
 * named by its service name.
 */
export function deniedMessage(
  request: Pick<AuthorizationRequest, "principal" | "action" | "resource">,
  verdict: Extract<Verdict, { allowed: false }>,
  options: { quoteResource?: boolean } = {},
): string {
  const { principal, action, resource } = request;
  const why =
    verdict.reason === "explicit-deny"
      ? `with an explicit deny in ${verdict.policyType === "identity-based" ? "an" : "a"} ${verdict.policyType} policy`
      : `because no ${verdict.policyType} policy allows the ${action} action`;
  const who = principal.kind === "caller" ? `User: ${principal.caller.arn}` : `Service: ${principal.service}`;
  const shown = options.quoteResource ? `"${resource}"` : resource;
  return `${who} is not authorized to perform: ${action} on resource: ${shown} ${why}`;
}

/**
 * A resource's stored policy text, parsed once. A policy that does not parse grants nothing and denies nothing
 * (SQS stores a queue's Policy checking only that it is a JSON document with statements).
 */
export function resourcePolicyDocument(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return storedPolicyDocument(text, "resource");
  } catch {
    return undefined;
  }
}

/**
 * Whether a policy is public as S3 Block Public Access judges it: an Allow to every principal (`"*"` or
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

function publicGrantRestricted(principal: CallingPrincipal, policy: ResourcePolicy | undefined): boolean {
  if (policy?.restrictPublicTo === undefined || principal.kind === "service") return false;
  return principal.caller.accountId !== policy.restrictPublicTo && isPublicPolicy(policy.document);
}

function requestPrincipal(principal: CallingPrincipal): RequestPrincipal {
  return principal.kind === "caller" ? { aws: principal.caller.arn } : { service: principal.service };
}

/** The global condition keys the principal brings to every request. */
function principalConditions(principal: CallingPrincipal): ConditionContext {
  return principal.kind === "caller"
    ? {
        "aws:PrincipalArn": principal.caller.role?.roleArn ?? principal.caller.arn,
        "aws:PrincipalAccount": principal.caller.accountId,
      }
    : { "aws:SourceArn": principal.sourceArn, "aws:SourceAccount": principal.sourceAccount };
}
