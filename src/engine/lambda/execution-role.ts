import { lambdaMayAssume } from "../iam/trust.ts";
import type { IamInternal } from "../internal.ts";

/**
 * Whether Lambda can assume a function's execution role: the role exists and its trust policy allows
 * `lambda.amazonaws.com` to call `sts:AssumeRole`. Without the IAM service nothing can be checked, so it can.
 *
 * @example executionRoleAssumable(context.internal.iam, "arn:aws:iam::000000000000:role/fn") // true
 */
export function executionRoleAssumable(iam: IamInternal | undefined, roleArn: string): boolean {
  if (!iam) return true;
  const role = iam.getRole(roleArn);
  return role !== undefined && lambdaMayAssume(role.assumeRolePolicyDocument);
}
