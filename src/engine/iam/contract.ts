import type { ConditionContext } from "../types.ts";

/**
 * What IAM offers the other services in-process (STS, Lambda): roles and policy evaluation. `startEngine` hands
 * it to the services that declare they need it; nothing else of `iam/` is theirs to import.
 */

export interface IamRoleRecord {
  roleName: string;
  roleArn: string;
  roleId: string;
  assumeRolePolicyDocument: string;
  createDate: string;
  /** The longest session AssumeRole may give, in seconds (3600 to 43200). */
  maxSessionDuration: number;
}

/** A principal as a resource-based or trust policy names it. */
interface PolicyPrincipal {
  service?: string;
  aws?: string;
}

export interface IamApi {
  getRole(roleNameOrArn: string): IamRoleRecord | undefined;
  /**
   * Whether the role's trust policy lets `principal` assume it (`sts:AssumeRole`), with the request's condition
   * keys. False for a role that does not exist.
   */
  roleTrusts(roleArn: string, principal: PolicyPrincipal, context?: ConditionContext): boolean;
}
