import { type PolicyDocument, parsePolicyDocument } from "../policy/document.ts";
import { MalformedPolicyDocumentError } from "../policy/errors.ts";
import { evaluateResourcePolicy, type RequestPrincipal } from "../policy/evaluate.ts";
import type { AuthorizationResult, ConditionContext } from "../types.ts";

/**
 * Role trust policies (`AssumeRolePolicyDocument`): whether a principal may assume a role. A trust policy is a
 * resource-based policy without `Resource`, so the shared evaluator applies: an explicit `Deny` wins, then any
 * `Allow` whose `Principal` names the caller, else the request is implicitly denied.
 */

/** The service principal Lambda assumes execution roles as. */
const LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com";

/** What a trust check needs besides the document. */
export interface TrustRequest {
  /** `sts:AssumeRole` unless told otherwise (`sts:TagSession`, `sts:SetSourceIdentity`, ...). */
  action?: string;
  /** The role being assumed; trust statements carry no Resource, so this only matters to conditions. */
  roleArn?: string;
  /** Condition keys of the request (`aws:PrincipalArn`, `sts:RoleSessionName`, ...). */
  context?: ConditionContext;
}

/**
 * Evaluates a role's trust policy for one principal. A document given as text is parsed first; text that is
 * not a valid trust policy trusts nobody (IAM never stores one, so this only guards other callers).
 *
 * @example
 * trustAllows(role.assumeRolePolicyDocument, { service: "lambda.amazonaws.com" }) // { allowed: true }
 * trustAllows(role.assumeRolePolicyDocument, { aws: "arn:aws:iam::000000000000:root" }) // { allowed: false, ... }
 */
export function trustAllows(
  document: PolicyDocument | string,
  principal: RequestPrincipal,
  request: TrustRequest = {},
): AuthorizationResult {
  let policy: PolicyDocument;
  try {
    policy = typeof document === "string" ? parsePolicyDocument(document, "trust") : document;
  } catch (error) {
    if (error instanceof MalformedPolicyDocumentError) return { allowed: false, reason: "implicit-deny" };
    throw error;
  }
  return evaluateResourcePolicy(policy, principal, {
    action: request.action ?? "sts:AssumeRole",
    resource: request.roleArn ?? "*",
    ...(request.context ? { context: request.context } : {}),
  });
}

/** Whether Lambda (`lambda.amazonaws.com`) may assume a role with this trust policy. */
export function lambdaMayAssume(document: PolicyDocument | string): boolean {
  return trustAllows(document, { service: LAMBDA_SERVICE_PRINCIPAL }).allowed;
}
