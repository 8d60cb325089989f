import { accountRootArn } from "../arn.ts";
import { type ResourcePolicy, resourcePolicyDocument } from "../policy/authorize.ts";

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
  if (/^\d{12}$/.test(principal)) return { AWS: accountRootArn(principal) };
  if (principal.startsWith("arn:")) return { AWS: principal };
  return { Service: principal };
}

/** The policy document as `GetPolicy` returns it (a JSON string). */
export function renderPolicy(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: statements });
}

/** Each function's policy as last weighed, while its RevisionId (renewed by every policy change) stands. */
const weighed = new WeakMap<object, { revisionId: string; policy: ResourcePolicy | undefined }>();

/**
 * A function's policy as the engine's one authorization decision weighs it (policy/authorize.ts); none without
 * statements. Rendered and parsed once per RevisionId, as AddPermission and RemovePermission renew it.
 */
export function functionResourcePolicy(record: {
  policy: PolicyStatement[];
  revisionId: string;
}): ResourcePolicy | undefined {
  const known = weighed.get(record);
  if (known?.revisionId === record.revisionId) return known.policy;
  const statements = record.policy;
  const document = resourcePolicyDocument(statements.length > 0 ? renderPolicy(statements) : undefined);
  const policy = document && { document };
  weighed.set(record, { revisionId: record.revisionId, policy });
  return policy;
}
