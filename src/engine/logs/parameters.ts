import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { InvalidParameterError } from "./errors.ts";

/**
 * The members of a CloudWatch Logs request, read from its JSON 1.1 body with the messages AWS answers for a
 * missing or mistyped one, and the `Describe*` operations' paging (`limit`, `nextToken`).
 */

/** A request's JSON body. */
export type Input = Record<string, unknown>;

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new InvalidParameterError(`Value for ${name} must be a string`);
  return value;
}

export function requiredString(input: Input, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === "") {
    throw new InvalidParameterError(validationMessage(name, null, constraint.notNull));
  }
  return value;
}

export function optionalNumber(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new InvalidParameterError(`Value for ${name} must be a number`);
  return value;
}

export function optionalBoolean(input: Input, name: string): boolean | undefined {
  const value = input[name];
  return value === undefined || value === null ? undefined : value === true;
}

export function stringList(input: Input, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new InvalidParameterError(`Value for ${name} must be a list of strings`);
  }
  return value as string[];
}

export function tagMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new InvalidParameterError(`Value for ${name} must be a map`);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/**
 * `logGroupName`, or `logGroupIdentifier` (a name or an ARN). The identifier's pattern (`[\w#+=/:,.@-]*`, the
 * service model's `LogGroupIdentifier`) has no `*`, so the `:*` form DescribeLogGroups shows is refused, as on AWS.
 */
export function groupNameOf(input: Input): string {
  const identifier = optionalString(input, "logGroupIdentifier");
  if (identifier !== undefined && !/^[\w#+=/:,.@-]*$/.test(identifier))
    throw new InvalidParameterError(
      validationMessage("logGroupIdentifier", identifier, constraint.pattern("[\\w#+=/:,.@-]*")),
    );
  if (identifier !== undefined) return groupNameFromArn(identifier) ?? identifier;
  return requiredString(input, "logGroupName");
}

/** The log group name inside a log-group ARN, or undefined when `arn` is not one. */
export function groupNameFromArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/.exec(arn);
  return match?.[1];
}

function limitOf(input: Input, max: number): number {
  const limit = optionalNumber(input, "limit") ?? max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new InvalidParameterError(validationMessage("limit", limit, constraint.between(1, max)));
  }
  return limit;
}

/** Describe* tokens are opaque offsets into the sorted listing. */
function offsetOf(input: Input): number {
  const token = optionalString(input, "nextToken");
  if (token === undefined) return 0;
  const offset = decodeOffsetToken(token);
  if (offset === undefined) throw new InvalidParameterError("The specified nextToken is invalid.");
  return offset;
}

export function pageOf<T>(items: T[], input: Input, max: number): { items: T[]; nextToken?: string } {
  const page = pageFrom(items, offsetOf(input), limitOf(input, max));
  return page.next === undefined
    ? { items: page.items }
    : { items: page.items, nextToken: encodeOffsetToken(page.next) };
}
