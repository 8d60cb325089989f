import type { ConditionContext } from "../types.ts";

/** One statement of a function's resource-based policy, in the shape `GetPolicy` returns it. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: "*" | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** The parameters of `AddPermission` that shape a statement. */
export interface AddPermissionInput {
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  PrincipalOrgID?: string;
  EventSourceToken?: string;
}

/**
 * Renders an `AddPermission` request as the statement Lambda stores, exactly as AWS shows it in `GetPolicy`:
 * service principals as `{"Service": ...}`, account IDs as `{"AWS": "arn:aws:iam::<id>:root"}`, and
 * `SourceAccount`/`SourceArn` as `StringEquals`/`ArnLike` conditions on `AWS:SourceAccount`/`AWS:SourceArn`.
 *
 * @example
 * renderStatement({ StatementId: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com",
 *   SourceArn: "arn:aws:s3:::photos" }, "arn:aws:lambda:us-east-1:000000000000:function:f")
 */
export function renderStatement(input: AddPermissionInput, functionArn: string): PolicyStatement {
  const condition: Record<string, Record<string, string>> = {};
  if (input.SourceAccount) condition.StringEquals = { "AWS:SourceAccount": input.SourceAccount };
  if (input.PrincipalOrgID) {
    condition.StringEquals = { ...condition.StringEquals, "aws:PrincipalOrgID": input.PrincipalOrgID };
  }
  if (input.EventSourceToken) {
    condition.StringEquals = { ...condition.StringEquals, "lambda:EventSourceToken": input.EventSourceToken };
  }
  if (input.SourceArn) condition.ArnLike = { "AWS:SourceArn": input.SourceArn };
  return {
    Sid: input.StatementId,
    Effect: "Allow",
    Principal: renderPrincipal(input.Principal),
    Action: input.Action,
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

function renderPrincipal(principal: string): PolicyStatement["Principal"] {
  if (principal === "*") return "*";
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith("arn:")) return { AWS: principal };
  return { Service: principal };
}

/** The policy document as `GetPolicy` returns it (a JSON string). */
export function renderPolicy(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
}

/**
 * Minimal evaluator for the statements {@link renderStatement} produces; used only when the IAM service has not
 * registered its evaluator (`context.internal.iam`). A Deny wins; otherwise one matching Allow is needed.
 */
export function evaluateResourcePolicy(
  statements: PolicyStatement[],
  principalService: string,
  action: string,
  resource: string,
  context: ConditionContext,
): boolean {
  let allowed = false;
  for (const statement of statements) {
    if (!principalMatches(statement.Principal, principalService)) continue;
    if (!globMatches(statement.Action, action)) continue;
    if (!globMatches(statement.Resource, resource)) continue;
    if (!conditionsHold(statement.Condition ?? {}, context)) continue;
    if (statement.Effect === "Deny") return false;
    allowed = true;
  }
  return allowed;
}

function principalMatches(principal: PolicyStatement["Principal"], service: string): boolean {
  if (principal === "*") return true;
  return "Service" in principal && principal.Service === service;
}

function conditionsHold(
  condition: Record<string, Record<string, string>>,
  context: ConditionContext,
): boolean {
  // Condition keys are case-insensitive in IAM (`AWS:SourceArn` = `aws:sourcearn`).
  const values = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(condition).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = values.get(key.toLowerCase());
      if (actual === undefined) return false;
      const candidates = Array.isArray(actual) ? actual : [actual];
      return candidates.some((value) => operatorHolds(operator, expected, value));
    }),
  );
}

function operatorHolds(operator: string, expected: string, actual: string): boolean {
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return expected === actual;
    case "StringLike":
    case "ArnLike":
      return globMatches(expected, actual);
    default:
      // Unknown operators never hold: safer to drop a delivery than to allow one AWS would refuse.
      return false;
  }
}

function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .split("*")
    .map((part) =>
      part
        .split("?")
        .map((piece) => piece.replace(/[.+^${}()|[\]\\]/g, "\\$&"))
        .join("."),
    )
    .join(".*");
  return new RegExp(`^${regex}$`).test(value);
}
