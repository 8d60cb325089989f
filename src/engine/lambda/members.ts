import { ServiceError } from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";

/**
 * The input members each Lambda operation handles, by the AWS SDK's member names (`<Operation>Request`; Invoke's
 * is `InvocationRequest`). Any other member a request carries (a JSON body key, a query parameter, or one of the
 * SDK's headers below) is refused by name with a 400 InvalidParameterValueException instead of being dropped, and
 * test/unit/member-coverage.test.ts checks every SDK member against this table and its list of knowingly refused
 * ones.
 */
export const lambdaOperationMembers: Record<string, readonly string[]> = {
  CreateFunction: [
    "FunctionName",
    "Runtime",
    "Role",
    "Handler",
    "Code",
    "Description",
    "Timeout",
    "MemorySize",
    "Publish",
    "PackageType",
    "DeadLetterConfig",
    "Environment",
    "TracingConfig",
    "Tags",
    "Architectures",
    "EphemeralStorage",
  ],
  ListFunctions: ["Marker", "MaxItems"],
  GetFunction: ["FunctionName", "Qualifier"],
  DeleteFunction: ["FunctionName", "Qualifier"],
  GetFunctionConfiguration: ["FunctionName", "Qualifier"],
  UpdateFunctionConfiguration: [
    "FunctionName",
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "Runtime",
    "DeadLetterConfig",
    "TracingConfig",
    "RevisionId",
    "EphemeralStorage",
  ],
  UpdateFunctionCode: ["FunctionName", "ZipFile", "Architectures", "Publish", "DryRun", "RevisionId"],
  Invoke: ["FunctionName", "InvocationType", "LogType", "ClientContext", "Payload", "Qualifier"],
  AddPermission: [
    "FunctionName",
    "StatementId",
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "Qualifier",
    "RevisionId",
    "PrincipalOrgID",
  ],
  GetPolicy: ["FunctionName", "Qualifier"],
  RemovePermission: ["FunctionName", "StatementId", "Qualifier", "RevisionId"],
  PublishVersion: ["FunctionName", "CodeSha256", "Description", "RevisionId"],
  ListVersionsByFunction: ["FunctionName", "Marker", "MaxItems"],
  CreateAlias: ["FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig"],
  GetAlias: ["FunctionName", "Name"],
  UpdateAlias: ["FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig", "RevisionId"],
  DeleteAlias: ["FunctionName", "Name"],
  ListAliases: ["FunctionName", "FunctionVersion", "Marker", "MaxItems"],
  PutFunctionEventInvokeConfig: [
    "FunctionName",
    "Qualifier",
    "MaximumRetryAttempts",
    "MaximumEventAgeInSeconds",
    "DestinationConfig",
  ],
  UpdateFunctionEventInvokeConfig: [
    "FunctionName",
    "Qualifier",
    "MaximumRetryAttempts",
    "MaximumEventAgeInSeconds",
    "DestinationConfig",
  ],
  GetFunctionEventInvokeConfig: ["FunctionName", "Qualifier"],
  DeleteFunctionEventInvokeConfig: ["FunctionName", "Qualifier"],
  ListFunctionEventInvokeConfigs: ["FunctionName", "Marker", "MaxItems"],
  ListTags: ["Resource"],
  TagResource: ["Resource", "Tags"],
  UntagResource: ["Resource", "TagKeys"],
};

/** Members the SDK sends as headers (Invoke's), which the engine does not handle: refused when present. */
const refusedHeaders: Record<string, Record<string, string>> = {
  Invoke: { "x-amz-durable-execution-name": "DurableExecutionName", "x-amz-tenant-id": "TenantId" },
};

/**
 * A member's value that means "the default" (no layers, no VPC, SnapStart off, Text logs, an empty ARN): accepted without
 * being honoured, since honouring it is doing nothing. Deploy tools send these on every call.
 */
function isDefaultValue(member: string, value: unknown): boolean {
  // An empty string is "none" for the ARNs (KMSKeyArn, CodeSigningConfigArn): Terraform sends them so.
  if (value === null || value === "") return true;
  if (Array.isArray(value))
    return value.length === 0 && (member === "Layers" || member === "FileSystemConfigs");
  if (typeof value !== "object") return false;
  const fields = value as Record<string, unknown>;
  const empty = (list: unknown) => list === undefined || (Array.isArray(list) && list.length === 0);
  if (member === "VpcConfig")
    return (
      empty(fields.SubnetIds) && empty(fields.SecurityGroupIds) && fields.Ipv6AllowedForDualStack !== true
    );
  if (member === "LoggingConfig")
    return Object.keys(fields).every((key) => key === "LogFormat" && fields[key] === "Text");
  if (member === "SnapStart")
    return Object.keys(fields).every((key) => key === "ApplyOn" && fields[key] === "None");
  return false;
}

/**
 * Refuses the first member of `request` (body key of `body`, query parameter, known header) that `operation`
 * does not handle, naming it. Path labels (`FunctionName`, `Name`, `StatementId`) are never in the query or body.
 */
/** Query parameters whose SDK member has another name (UntagResource sends `TagKeys` as `tagKeys`). */
const queryMembers: Record<string, string> = { tagKeys: "TagKeys" };

export function refuseUnhandledMembers(
  operation: string,
  request: Pick<ServiceRequest, "query" | "headers">,
  body: Record<string, unknown> | undefined,
): void {
  const handled = lambdaOperationMembers[operation];
  if (!handled) return;
  const refuse = (member: string) => {
    throw new ServiceError(
      400,
      "InvalidParameterValueException",
      `${operation}: the embedded Lambda engine does not support ${member}; remove it from the request.`,
    );
  };
  // SigV4's query-string authentication (`X-Amz-Credential`, `X-Amz-Signature`, ...) is the request's signature,
  // not an input member.
  for (const key of request.query.keys())
    if (!key.startsWith("X-Amz-") && !handled.includes(queryMembers[key] ?? key)) refuse(key);
  for (const [header, member] of Object.entries(refusedHeaders[operation] ?? {}))
    if (request.headers[header] !== undefined) refuse(member);
  if (!body) return;
  for (const [key, value] of Object.entries(body))
    if (!handled.includes(key) && value !== undefined && !isDefaultValue(key, value)) refuse(key);
}
