import type { IamApi } from "../iam/contract.ts";

/** The service principal Lambda assumes execution roles as. */
const LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com";

/**
 * Whether Lambda can assume a function's execution role: the role exists and its trust policy allows
 * `lambda.amazonaws.com` to call `sts:AssumeRole`.
 *
 * @example executionRoleAssumable(iam, "arn:aws:iam::000000000000:role/fn") // true
 */
export function executionRoleAssumable(iam: IamApi, roleArn: string): boolean {
  return iam.roleTrusts(roleArn, { service: LAMBDA_SERVICE_PRINCIPAL });
}
