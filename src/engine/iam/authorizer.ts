import { evaluateIdentityPolicies } from "../policy/evaluate.ts";
import type { AuthorizationResult, Authorizer, Caller, ConditionContext } from "../types.ts";
import type { IamStore } from "./store.ts";

/**
 * The engine's authorizer once IAM runs: callers holding a role's temporary credentials are checked against
 * that role's inline and attached policies; account administrators (any other key) are always allowed.
 */
export function createIamAuthorizer(store: IamStore): Authorizer {
  return {
    authorize(
      caller: Caller,
      action: string,
      resource: string,
      context: ConditionContext = {},
    ): AuthorizationResult {
      const role = caller.role;
      if (!role) return { allowed: true };
      const record = store.findRole(role.roleArn);
      // A deleted role keeps its issued keys, but nothing allows them any more.
      if (!record) return { allowed: false, reason: "implicit-deny" };
      const globalKeys: ConditionContext = {
        "aws:PrincipalArn": record.arn,
        "aws:PrincipalAccount": caller.accountId,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": `${record.roleId}:${role.sessionName}`,
      };
      const request = { action, resource, context: { ...globalKeys, ...context } };
      const region = context["aws:RequestedRegion"];
      store.noteRoleUsed(record.arn, typeof region === "string" ? region : undefined);
      const verdict = evaluateIdentityPolicies(store.identityPolicies(record.arn), request);
      if (!verdict.allowed) return verdict;
      // A permissions boundary caps the role: what its own policies allow must be allowed by the boundary too.
      const boundary = store.permissionsBoundaryOf(record.arn);
      return boundary === undefined ? verdict : evaluateIdentityPolicies([boundary], request);
    },
  };
}
