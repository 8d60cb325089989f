import { join } from "node:path";
import { notAuthorizedMessage } from "../access-denied.ts";
import { allowAll, type EngineBase } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { QueryParams, queryError, ServiceError, toXml } from "../service/index.ts";
import type { Authorizer, Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { iamActions } from "./actions.ts";
import { createIamAuthorizer } from "./authorizer.ts";
import type { IamApi } from "./contract.ts";
import { evaluateResourcePolicy } from "./evaluate.ts";
import { IamStore } from "./store.ts";
import { trustAllows } from "./trust.ts";

/** XML namespace of IAM responses. */
export const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

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
 * kept in memory and, with a data directory, in `<dataDir>/iam.json`.
 */
export async function createIamService(context: EngineBase, options: EngineOptions): Promise<IamParts> {
  const store = new IamStore(
    context.accountId,
    context.dataDir ? join(context.dataDir, "iam.json") : undefined,
  );
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
  const authorizer = options.enforceIam !== false ? createIamAuthorizer(store) : allowAll;

  const service: Service = {
    signingName: "iam",
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      const params = new QueryParams(request);
      const actionName = params.action;
      const action = iamActions[actionName];
      if (!action) {
        return queryError(
          400,
          "InvalidAction",
          `Could not find operation ${actionName} for version 2010-05-08`,
          request.requestId,
        );
      }
      try {
        const resource = action.resource(params, store, context.accountId);
        const verdict = authorizer.authorize(request.caller, `iam:${actionName}`, resource);
        if (!verdict.allowed) {
          return queryError(
            403,
            "AccessDenied",
            notAuthorizedMessage(request.caller, `iam:${actionName}`, resource, verdict.reason),
            request.requestId,
          );
        }
        return respond(actionName, action.run(params, store), request.requestId);
      } catch (error) {
        if (error instanceof ServiceError)
          return queryError(error.status, error.code, error.message, request.requestId);
        throw error;
      }
    },
  };
  return { service, authorizer, api };
}

/** `<XResponse>` with `<XResult>` only when the action has a result, as IAM answers. */
function respond(
  action: string,
  result: Record<string, unknown> | undefined,
  requestId: string,
): ServiceResponse {
  const body = {
    ...(result === undefined ? {} : { [`${action}Result`]: result }),
    ResponseMetadata: { RequestId: requestId },
  };
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body: toXml(`${action}Response`, body, IAM_NAMESPACE),
  };
}
