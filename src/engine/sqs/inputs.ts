import * as z from "zod";
import type { InputIssue } from "../service/index.ts";
import { type SqsError, sqsErrors } from "./errors.ts";
import type { MessageAttributes } from "./message-attributes.ts";

/**
 * The members of SQS's inputs as zod schemas, named as in the JSON protocol (the query protocol's are mapped to
 * them by query-protocol.ts), each failing with SQS's own wording: a missing required member is
 * `MissingParameter` ("The request must contain the parameter QueueUrl."), a mistyped one
 * `InvalidParameterValue` ("Value for parameter X is invalid. Reason: must be a string."). `{member}` in a
 * schema's message is the member's name, filled in by `sqsInputError`.
 */

/** A string member (required unless `.optional()`). */
export const text = z.string({ error: "Value for parameter {member} is invalid. Reason: must be a string." });

/** An integer member: a JSON number, or the query protocol's decimal text. */
export const integer = z
  .union([z.number(), z.string()], {
    error: (issue) => `Value ${String(issue.input)} for parameter {member} is invalid.`,
  })
  .transform((value, context) => {
    const number = typeof value === "number" ? value : Number(value);
    if (Number.isInteger(number)) return number;
    context.addIssue({
      code: "custom",
      input: value,
      message: `Value ${String(value)} for parameter {member} is invalid.`,
    });
    return z.NEVER;
  });

const listOfStrings = "Value for parameter {member} is invalid. Reason: must be a list of strings.";
/** A list of strings (`AttributeNames`, `TagKeys`). */
export const stringList = z.array(z.string({ error: listOfStrings }), { error: listOfStrings });

/** A map of strings (`Attributes`, `Tags`); values are taken as text, as SQS does. */
export const stringMap = z
  .record(z.string(), z.unknown(), {
    error: "Value for parameter {member} is invalid. Reason: must be a map.",
  })
  .transform((map) => Object.fromEntries(Object.entries(map).map(([key, item]) => [key, String(item)])));

/** Message attributes; their names, types and values are the store's to check (message-attributes.ts). */
export const messageAttributes = z.record(z.string(), z.unknown(), {
  error: "Value for parameter {member} is invalid.",
}) as unknown as z.ZodType<MessageAttributes>;

/** A batch's entries, each checked with its entry schema as it runs (an entry's failure is its own). */
export const batchEntries = z.array(z.unknown(), {
  error: "Value for parameter {member} is invalid. Reason: must be a list.",
});

/** The error SQS answers for a member that fails its schema. */
export function sqsInputError(issue: InputIssue): SqsError {
  const member = String(issue.path[0] ?? "");
  if (issue.missing) return sqsErrors.missingParameter(member);
  return sqsErrors.invalidParameterValue(
    issue.message.includes("{member}")
      ? issue.message.replace("{member}", member)
      : `Value for parameter ${member} is invalid. Reason: ${issue.message}`,
  );
}

/** One batch entry checked against its schema; a failure is that entry's SqsError, worded as for a request. */
export function parseEntry<T>(schema: z.ZodType<T>, entry: unknown): T {
  const result = schema.safeParse(entry ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const path = (issue?.path ?? []).map((segment) =>
    typeof segment === "number" ? segment : String(segment),
  );
  const value = issue && "input" in issue ? issue.input : undefined;
  throw sqsInputError({
    path,
    missing: value === undefined,
    value,
    message: issue?.message ?? "",
  });
}

/**
 * The queue name in a QueueUrl: its last path segment, after this engine's account (any host, as LocalStack
 * accepts `sqs.<region>.localhost.localstack.cloud` and the like). Another account's queue does not exist here.
 */
export function queueNameFromUrl(url: string, accountId: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/\/+$/, "");
  const segments = path.split("/").filter((segment) => segment !== "");
  const name = segments.at(-1);
  const account = segments.at(-2);
  if (name === undefined || (account !== undefined && account !== accountId))
    throw sqsErrors.queueDoesNotExist();
  return decodeURIComponent(name);
}
