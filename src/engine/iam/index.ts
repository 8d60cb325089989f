import { allowAll, type EngineBase } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher, type ServiceDeclaration } from "../service/index.ts";
import type { Authorizer, Service } from "../types.ts";
import { iamOperations } from "./actions.ts";
import { createIamAuthorizer } from "./authorizer.ts";
import type { IamApi } from "./contract.ts";
import { iamSection } from "./section.ts";
import { IamStore } from "./store.ts";
import { trustAllows } from "./trust.ts";

/** The IAM service, the authorizer every service checks callers with, and the typed API STS and Lambda use. */
export interface IamParts {
  service: Service;
  /** Allow-all when the engine runs with `enforceIam: false`. */
  authorizer: Authorizer;
  api: IamApi;
}

/**
 * IAM over the Query protocol (roles, inline and managed policies), the engine's authorizer, and the typed
 * {@link IamApi}. Created first, from the context without an authorizer, since it is the authorizer. State is
 * kept in memory and, with a data directory, in the persistence layer's IAM journal.
 */
export async function createIamService(context: EngineBase, options: EngineOptions): Promise<IamParts> {
  const store = await IamStore.open(context.accountId, context.store);
  const getRole: IamApi["getRole"] = (roleNameOrArn) => {
    const role = store.findRole(roleNameOrArn);
    return role ? IamStore.toRecord(role) : undefined;
  };
  const api: IamApi = {
    getRole,
    roleTrusts: (roleArn, principal, conditionContext) => {
      const role = getRole(roleArn);
      if (!role) return false;
      return trustAllows(role.assumeRolePolicyDocument, principal, {
        roleArn: role.roleArn,
        ...(conditionContext ? { context: conditionContext } : {}),
      }).allowed;
    },
  };
  const authorizer = options.enforceIam !== false ? createIamAuthorizer(store) : allowAll;

  const declaration: ServiceDeclaration = {
    section: iamSection,
    operations: iamOperations(store, context.accountId),
  };
  // IAM's own calls are checked by the authorizer it makes (the engine's context gets it only once IAM exists).
  const service: Service = {
    signingName: iamSection.signingName,
    handle: createDispatcher(declaration, { ...context, authorizer }),
  };
  return { service, authorizer, api };
}
