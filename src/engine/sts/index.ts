import { assumedRoleArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { IamApi } from "../iam/contract.ts";
import { IamError, IamValidationError } from "../iam/errors.ts";
import type { EngineOptions } from "../options.ts";
import { QueryParams, queryError, queryResponse, ServiceError } from "../service/index.ts";
import type { Caller, Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";

/** XML namespace of STS responses. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;

/** What STS needs from the other services. */
export interface StsDependencies {
  /** Roles and their trust policies. */
  iam: IamApi;
}

/**
 * STS over the Query protocol: GetCallerIdentity and AssumeRole. Credentials issued here are mapped back to
 * their role by the engine's CredentialStore, so later requests signed with them act as that role.
 */
export async function createStsService(
  context: EngineContext,
  options: EngineOptions,
  { iam }: StsDependencies,
): Promise<Service> {
  // `--no-enforce-iam` turns the role's trust policy off as well as the caller's identity policies.
  const enforceTrust = options.enforceIam !== false;
  return {
    signingName: "sts",
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      const params = new QueryParams(request);
      try {
        switch (params.action) {
          case "GetCallerIdentity":
            return queryResponse(
              "GetCallerIdentity",
              callerIdentity(iam, request.caller),
              request.requestId,
              STS_NAMESPACE,
            );
          case "AssumeRole":
            return queryResponse(
              "AssumeRole",
              assumeRole(context, iam, request.caller, params, enforceTrust),
              request.requestId,
              STS_NAMESPACE,
            );
          default:
            return queryError(
              400,
              "InvalidAction",
              `Could not find operation ${params.action} for version 2011-06-15`,
              request.requestId,
            );
        }
      } catch (error) {
        if (error instanceof ServiceError)
          return queryError(error.status, error.code, error.message, request.requestId);
        throw error;
      }
    },
  };
}

function callerIdentity(iam: IamApi, caller: Caller): Record<string, unknown> {
  const role = caller.role;
  if (!role) return { UserId: caller.accountId, Account: caller.accountId, Arn: caller.arn };
  // The role may have been deleted since the credentials were issued; AWS would still answer with its id.
  const roleId = iam.getRole(role.roleArn)?.roleId ?? "AROAUNKNOWNROLEID0000";
  return { UserId: `${roleId}:${role.sessionName}`, Account: caller.accountId, Arn: caller.arn };
}

/**
 * AssumeRole needs both the caller's permission (identity policies, via the authorizer) and the role's trust
 * policy naming the caller: its ARN, its role (for a session), its account (`<id>`, `arn:aws:iam::<id>:root`) or
 * `*`. As on AWS, a role that trusts the account still needs the identity permission; here the account's
 * administrators always have it.
 */
function assumeRole(
  context: EngineContext,
  iam: IamApi,
  caller: Caller,
  params: QueryParams,
  enforceTrust: boolean,
): Record<string, unknown> {
  const roleArn = params.required("RoleArn");
  const sessionName = params.required("RoleSessionName");
  if (!sessionNamePattern.test(sessionName)) {
    throw new IamValidationError(
      validationMessage(
        "roleSessionName",
        sessionName,
        constraint.pattern("[\\w+=,.@-]* and have length between 2 and 64"),
      ),
    );
  }
  if (roleArn.length < 20) {
    throw new IamValidationError(validationMessage("roleArn", roleArn, constraint.minLength(20)));
  }
  const denied = () =>
    new IamError(
      403,
      "AccessDenied",
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  const verdict = context.authorizer.authorize(caller, "sts:AssumeRole", roleArn);
  if (!verdict.allowed) throw denied();
  // AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist.
  const role = iam.getRole(roleArn);
  if (!role) throw denied();
  if (enforceTrust) {
    const trusted = iam.roleTrusts(
      role.roleArn,
      { aws: caller.arn },
      {
        "aws:PrincipalArn": caller.role?.roleArn ?? caller.arn,
        "aws:PrincipalAccount": caller.accountId,
        "sts:RoleSessionName": sessionName,
      },
    );
    if (!trusted) throw denied();
  }
  const maxSessionDuration = 43200;
  const duration = params.integer("DurationSeconds") ?? 3600;
  if (duration < 900 || duration > maxSessionDuration) {
    throw new IamValidationError(
      validationMessage("durationSeconds", duration, constraint.between(900, maxSessionDuration)),
    );
  }
  const credentials = context.credentials.issueForRole(role.roleArn, sessionName);
  const expiration = new Date(Date.now() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: expiration,
    },
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: assumedRoleArn(context.accountId, role.roleName, sessionName),
    },
  };
}
