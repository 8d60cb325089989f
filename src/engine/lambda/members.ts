import { ServiceError } from "../service/index.ts";

/**
 * The members a Lambda operation does not handle. Each operation's `input` schema declares the members it
 * handles (by the AWS SDK's names: `<Operation>Request`, Invoke's `InvocationRequest`); any other member a request
 * carries (a JSON body key, a query parameter, or a header the route binds) is refused by name with a 400
 * InvalidParameterValueException instead of being dropped, unless its value means the default.
 * test/unit/member-coverage.test.ts checks every SDK member against the schemas and its list of knowingly
 * refused ones.
 */

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
 * The declaration's `unsupportedMember`: a member `operation` does not handle is refused, naming it, unless its
 * value means the default (accepted and dropped).
 */
export function unsupportedMember(
  operation: string,
  member: string,
  value: unknown,
): ServiceError | undefined {
  if (isDefaultValue(member, value)) return undefined;
  return new ServiceError(
    400,
    "InvalidParameterValueException",
    `${operation}: the embedded Lambda engine does not support ${member}; remove it from the request.`,
  );
}
