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
      return evaluateIdentityPolicies(store.identityPolicies(record.arn), {
        action,
        resource,
        context: { ...globalKeys, ...context },
      });
    },
  };
}
