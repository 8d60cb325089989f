import * as z from "zod";
import { assumedRoleArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { IamApi } from "../iam/contract.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher, operation, type ServiceDeclaration, ServiceError } from "../service/index.ts";
import type { Caller, Service } from "../types.ts";
import { constraint } from "../validation-message.ts";
import { stsSection } from "./section.ts";

const sessionNamePattern = /^[\w+=,.@-]{2,64}$/;
const maxSessionDuration = 43200;
/** AssumeRole's longest session for a caller that is itself a role session (role chaining). */
const roleChainingLimit = 3600;

/** AssumeRole's input, worded as AWS words its violations; any other member is refused by name. */
export const assumeRoleInput = z.object({
  RoleArn: z.string().min(20),
  RoleSessionName: z.string().regex(sessionNamePattern, {
    error: constraint.pattern("[\\w+=,.@-]* and have length between 2 and 64"),
  }),
  DurationSeconds: z.coerce
    .number()
    .int()
    .min(900, { error: constraint.between(900, maxSessionDuration) })
    .max(maxSessionDuration, { error: constraint.between(900, maxSessionDuration) })
    .default(3600),
});
type AssumeRoleInput = z.output<typeof assumeRoleInput>;

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
  const declaration: ServiceDeclaration = {
    section: stsSection,
    // STS words its AccessDenied without the identity-policy reason, whichever check refused.
    accessDenied: { error: (_message, denial) => assumeRoleDenied(denial.caller, denial.resource) },
    operations: [
      operation({
        name: "GetCallerIdentity",
        action: null,
        handler: (_input, call) => callerIdentity(iam, call.request.caller),
      }),
      operation({
        name: "AssumeRole",
        input: assumeRoleInput,
        resource: (input) => input.RoleArn,
        handler: (input, call) => assumeRole(context, iam, call.request.caller, input, enforceTrust),
      }),
    ],
  };
  return { signingName: stsSection.signingName, handle: createDispatcher(declaration, context) };
}

function callerIdentity(iam: IamApi, caller: Caller): Record<string, unknown> {
  const role = caller.role;
  if (!role) return { UserId: caller.accountId, Account: caller.accountId, Arn: caller.arn };
  // The role may have been deleted since the credentials were issued; AWS would still answer with its id.
  const roleId = iam.getRole(role.roleArn)?.roleId ?? "AROAUNKNOWNROLEID0000";
  return { UserId: `${roleId}:${role.sessionName}`, Account: caller.accountId, Arn: caller.arn };
}

function validationError(message: string): ServiceError {
  return new ServiceError(400, "ValidationError", message);
}

function assumeRoleDenied(caller: Caller, roleArn: string): ServiceError {
  return new ServiceError(
    403,
    "AccessDenied",
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
  );
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
  input: AssumeRoleInput,
  enforceTrust: boolean,
): Record<string, unknown> {
  const { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: duration } = input;
  // AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist.
  const role = iam.getRole(roleArn);
  if (!role) throw assumeRoleDenied(caller, roleArn);
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
    if (!trusted) throw assumeRoleDenied(caller, roleArn);
  }
  // The session's length is bounded by the role's setting, and by an hour for a role session assuming a role.
  if (caller.role && duration > roleChainingLimit)
    throw validationError(
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  if (duration > role.maxSessionDuration)
    throw validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  const credentials = context.credentials.issueForRole(role.roleArn, sessionName, duration);
  // Whole seconds, as STS writes it; the store enforces this very instant.
  const expiration = credentials.expiration?.toISOString().replace(/\.\d{3}Z$/, "Z");
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
