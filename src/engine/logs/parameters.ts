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

/** At most 50 tags a log group (`Tags`, `max: 50`, and TooManyTagsException in the service model). */
export const MAX_LOG_GROUP_TAGS = 50;
// The service model's TagKey (1–128) and TagValue (0–256) patterns (botocore logs/2014-03-28/service-2.json).
const tagKeyPattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$";
const tagValuePattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
const tagKey = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const tagValue = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A tags map, checked against the service model's constraints (1–50 entries, key and value lengths and patterns). */
export function tagMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new InvalidParameterError(`Value for ${name} must be a map`);
  const entries = Object.entries(value);
  if (entries.length < 1 || entries.length > MAX_LOG_GROUP_TAGS)
    throw new InvalidParameterError(
      validationMessage(name, undefined, `Member must have length between 1 and ${MAX_LOG_GROUP_TAGS}`),
    );
  for (const [key, item] of entries) {
    if (key.length > 128 || !tagKey.test(key))
      throw new InvalidParameterError(
        validationMessage(
          name,
          key,
          `Map keys must satisfy constraint: [${constraint.maxLength(128)}, ${constraint.pattern(tagKeyPattern)}]`,
        ),
      );
    if (typeof item !== "string" || item.length > 256 || !tagValue.test(item))
      throw new InvalidParameterError(
        validationMessage(
          name,
          String(item),
          `Map value must satisfy constraint: [${constraint.maxLength(256)}, ${constraint.pattern(tagValuePattern)}]`,
        ),
      );
  }
  return Object.fromEntries(entries) as Record<string, string>;
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
