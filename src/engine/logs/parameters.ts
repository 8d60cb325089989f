import * as z from "zod";
import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { InvalidParameterError } from "./errors.ts";

/**
 * The members of CloudWatch Logs requests as zod schemas, named as in the SDK's `<Operation>Request`: the
 * dispatcher words a failure as AWS does ("1 validation error detected: Value null at 'logGroupName' failed to
 * satisfy constraint: Member must not be null"), in an InvalidParameterException (logs/index.ts). Also the
 * `Describe*` operations' paging (`limit`, `nextToken`).
 */

/** A required name: missing or empty is "must not be null", as CloudWatch Logs answers. */
export const requiredText = z.preprocess((value) => (value === "" ? undefined : value), z.string());
export const optionalText = z.string().optional();
export const optionalNumber = z.number().optional();
export const optionalBoolean = z.boolean().optional();
export const stringList = z.array(z.string());

/** At most 50 tags a log group (`Tags`, `max: 50`, and TooManyTagsException in the service model). */
export const MAX_LOG_GROUP_TAGS = 50;
// The service model's TagKey (1–128) and TagValue (0–256) patterns (botocore logs/2014-03-28/service-2.json).
const tagKeyPattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$";
const tagValuePattern = "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
const tagKey = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const tagValue = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A tags map, checked against the service model's constraints (1–50 entries, key and value lengths and patterns). */
export const tagMap = z.record(z.string(), z.unknown()).check((context) => {
  const entries = Object.entries(context.value);
  if (entries.length < 1 || entries.length > MAX_LOG_GROUP_TAGS) {
    context.issues.push({
      code: "custom",
      input: context.value,
      message: `Member must have length between 1 and ${MAX_LOG_GROUP_TAGS}`,
    });
    return;
  }
  for (const [key, item] of entries) {
    if (key.length > 128 || !tagKey.test(key)) {
      context.issues.push({
        code: "custom",
        input: key,
        message: `Map keys must satisfy constraint: [${constraint.maxLength(128)}, ${constraint.pattern(tagKeyPattern)}]`,
      });
      return;
    }
    if (typeof item !== "string" || item.length > 256 || !tagValue.test(item)) {
      context.issues.push({
        code: "custom",
        input: String(item),
        message: `Map value must satisfy constraint: [${constraint.maxLength(256)}, ${constraint.pattern(tagValuePattern)}]`,
      });
      return;
    }
  }
}) as unknown as z.ZodType<Record<string, string>>;

/**
 * `logGroupName`, or `logGroupIdentifier` (a name or an ARN). The identifier's pattern (`[\w#+=/:,.@-]*`, the
 * service model's `LogGroupIdentifier`) has no `*`, so the `:*` form DescribeLogGroups shows is refused, as on AWS.
 */
export const groupNameOrIdentifier = {
  logGroupName: optionalText,
  logGroupIdentifier: z
    .string()
    .regex(/^[\w#+=/:,.@-]*$/, { error: constraint.pattern("[\\w#+=/:,.@-]*") })
    .optional(),
};

/** The group `groupNameOrIdentifier` names; neither given is AWS's "logGroupName must not be null". */
export function groupNameOf(input: {
  logGroupName?: string | undefined;
  logGroupIdentifier?: string | undefined;
}): string {
  const identifier = input.logGroupIdentifier;
  if (identifier !== undefined) return groupNameFromArn(identifier) ?? identifier;
  if (input.logGroupName === undefined || input.logGroupName === "")
    throw new InvalidParameterError(validationMessage("logGroupName", null, constraint.notNull));
  return input.logGroupName;
}

/** The log group name inside a log-group ARN, or undefined when `arn` is not one. */
export function groupNameFromArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/.exec(arn);
  return match?.[1];
}

/** A `Describe*` operation's paging members, `limit` at most `max`. */
export function paging(max: number) {
  const between = { error: constraint.between(1, max) };
  return {
    nextToken: optionalText,
    limit: z.number().int(between).min(1, between).max(max, between).optional(),
  };
}

/** Describe* tokens are opaque offsets into the sorted listing. */
export function pageOf<T>(
  items: T[],
  input: { nextToken?: string | undefined; limit?: number | undefined },
  max: number,
): { items: T[]; nextToken?: string } {
  const offset = input.nextToken === undefined ? 0 : decodeOffsetToken(input.nextToken);
  if (offset === undefined) throw new InvalidParameterError("The specified nextToken is invalid.");
  const page = pageFrom(items, offset, input.limit ?? max);
  return page.next === undefined
    ? { items: page.items }
    : { items: page.items, nextToken: encodeOffsetToken(page.next) };
}
