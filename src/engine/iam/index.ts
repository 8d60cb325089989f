import { join } from "node:path";
import type { EngineContext } from "../context.ts";
import type { IamInternal } from "../internal.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher, type ServiceDeclaration } from "../service/index.ts";
import type { Service } from "../types.ts";
import { iamOperations } from "./actions.ts";
import { createIamAuthorizer } from "./authorizer.ts";
import { evaluateResourcePolicy } from "./evaluate.ts";
import { IamStore } from "./store.ts";

/** XML namespace of IAM responses. */
export const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

/**
 * IAM over the Query protocol (roles, inline and managed policies), the engine's authorizer, and the
 * `internal.iam` contract. State is kept in memory and, with a data directory, in `<dataDir>/iam.json`.
 */
export async function createIamService(context: EngineContext, options: EngineOptions): Promise<Service> {
  const store = new IamStore(
    context.accountId,
    context.dataDir ? join(context.dataDir, "iam.json") : undefined,
  );
  const internal: IamInternal = {
    getRole: (roleNameOrArn) => {
      const role = store.findRole(roleNameOrArn);
      return role ? IamStore.toRecord(role) : undefined;
    },
    resourcePolicyAllows: (policyDocument, principal, action, resource, conditionContext) => {
      try {
        const policy = store.parse(policyDocument, "resource");
        return evaluateResourcePolicy(policy, principal, { action, resource, context: conditionContext })
          .allowed;
      } catch {
        // An unparsable resource policy grants nothing.
        return false;
      }
    },
  };
  context.internal.iam = internal;
  if (options.enforceIam !== false) context.authorizer = createIamAuthorizer(store);

  const declaration: ServiceDeclaration = {
    signingName: "iam",
    protocols: { query: { version: "2010-05-08", namespace: IAM_NAMESPACE } },
    operations: iamOperations(store, context.accountId),
  };
  return { signingName: "iam", handle: createDispatcher(declaration, context) };
}
