import { accountRootArn } from "../arn.ts";
import type { AuthorizationResult, ConditionContext } from "../types.ts";
import { iamActionWildcard, iamWildcard, wildcardMatch } from "../wildcard.ts";
import { conditionsMatch } from "./conditions.ts";
import { asList, type PolicyDocument, type PolicyStatement, type PrincipalValue } from "./document.ts";

/**
 * Pure IAM policy evaluation for one account, as AWS documents it: an explicit `Deny` wins, then any
 * `Allow`, else the request is implicitly denied. Policy variables (`${aws:username}`) are not supported.
 */

/** One request to authorize: `logs:PutLogEvents` on a stream ARN, with its condition keys. */
export interface AccessRequest {
  action: string;
  resource: string;
  context?: ConditionContext;
}

/** Who calls, for resource-based policies: a service principal (`s3.amazonaws.com`) or an AWS ARN. */
export interface RequestPrincipal {
  service?: string;
  aws?: string;
}

/**
 * Evaluates identity-based policies (inline and attached to a role) for one request.
 *
 * @example
 * evaluateIdentityPolicies([policy], { action: "dynamodb:PutItem", resource: tableArn }) // { allowed: true }
 */
export function evaluateIdentityPolicies(
  policies: readonly PolicyDocument[],
  request: AccessRequest,
): AuthorizationResult {
  return evaluateStatements(
    policies.flatMap((policy) => policy.Statement),
    request,
    () => true,
  );
}

/**
 * Evaluates a resource-based policy (a Lambda function policy, say) for a principal: only statements whose
 * `Principal` names that principal (or whose `NotPrincipal` does not) apply.
 */
export function evaluateResourcePolicy(
  policy: PolicyDocument,
  principal: RequestPrincipal,
  request: AccessRequest,
): AuthorizationResult {
  return evaluateStatements(policy.Statement, request, (statement) =>
    statementPrincipalMatches(statement, principal),
  );
}

function evaluateStatements(
  statements: readonly PolicyStatement[],
  request: AccessRequest,
  principalMatches: (statement: PolicyStatement) => boolean,
): AuthorizationResult {
  const context = request.context ?? {};
  let allowed = false;
  for (const statement of statements) {
    if (!principalMatches(statement)) continue;
    if (!actionMatches(statement, request.action)) continue;
    if (!resourceMatches(statement, request.resource)) continue;
    if (!conditionsMatch(statement.Condition, context)) continue;
    if (statement.Effect === "Deny") return { allowed: false, reason: "explicit-deny" };
    allowed = true;
  }
  return allowed ? { allowed: true } : { allowed: false, reason: "implicit-deny" };
}

/** Actions compare case-insensitively (`S3:getobject` = `s3:GetObject`). */
function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined)
    return asList(statement.Action).some((pattern) => wildcardMatch(pattern, action, iamActionWildcard));
  if (statement.NotAction !== undefined) {
    return !asList(statement.NotAction).some((pattern) => wildcardMatch(pattern, action, iamActionWildcard));
  }
  return false;
}

/** Resources compare case-sensitively; a statement without Resource (trust policies) covers everything. */
function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined)
    return asList(statement.Resource).some((pattern) => wildcardMatch(pattern, resource, iamWildcard));
  if (statement.NotResource !== undefined) {
    return !asList(statement.NotResource).some((pattern) => wildcardMatch(pattern, resource, iamWildcard));
  }
  return true;
}

function statementPrincipalMatches(statement: PolicyStatement, principal: RequestPrincipal): boolean {
  if (statement.Principal !== undefined) return principalNames(statement.Principal, principal);
  if (statement.NotPrincipal !== undefined) return !principalNames(statement.NotPrincipal, principal);
  return false;
}

/** Whether a `Principal` element names the caller. */
function principalNames(value: PrincipalValue, principal: RequestPrincipal): boolean {
  if (value === "*") return true;
  for (const [type, names] of Object.entries(value)) {
    for (const name of asList(names)) {
      if (type === "AWS" && name === "*") return true;
      if (type === "AWS" && principal.aws && awsPrincipalMatches(name, principal.aws)) return true;
      if (type === "Service" && principal.service && name.toLowerCase() === principal.service.toLowerCase())
        return true;
    }
  }
  return false;
}

/**
 * `"123456789012"` and `arn:aws:iam::123456789012:root` stand for the whole account; a role ARN also names
 * the sessions of that role (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`).
 */
function awsPrincipalMatches(name: string, callerArn: string): boolean {
  const policyArn = /^\d{12}$/.test(name) ? accountRootArn(name) : name;
  if (policyArn === callerArn) return true;
  const policyParts = policyArn.split(":");
  const callerParts = callerArn.split(":");
  const policyAccount = policyParts[4];
  if (policyAccount === undefined || policyAccount !== callerParts[4]) return false;
  const policyResource = policyParts.slice(5).join(":");
  if (policyResource === "root") return true;
  const callerResource = callerParts.slice(5).join(":");
  if (policyResource.startsWith("role/") && callerResource.startsWith("assumed-role/")) {
    const roleName = policyResource.split("/").pop();
    return callerResource.split("/")[1] === roleName;
  }
  return false;
}
