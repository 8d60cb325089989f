import type { Caller } from "./types.ts";

/**
 * The sentence AWS services use when an identity policy does not allow a call, e.g.
 * `User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: dynamodb:PutItem on resource:
 * arn:aws:dynamodb:…:table/t because no identity-based policy allows the dynamodb:PutItem action`.
 * S3 quotes the resource; the JSON and Query services do not.
 */
export function notAuthorizedMessage(
  caller: Caller,
  action: string,
  resource: string,
  reason: "explicit-deny" | "implicit-deny",
  options: { quoteResource?: boolean } = {},
): string {
  const why =
    reason === "explicit-deny"
      ? "with an explicit deny in an identity-based policy"
      : `because no identity-based policy allows the ${action} action`;
  const shown = options.quoteResource ? `"${resource}"` : resource;
  return `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${shown} ${why}`;
}
