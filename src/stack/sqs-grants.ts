import { wildcardMatch } from "../engine/wildcard.ts";

/**
 * What a role's policies allow on SQS, statement by statement: the least-privilege check fails on anything but
 * `sqs:SendMessage` to the stack's own queue. Pure; wildcards are reported as written (`sqs:*`, `*` on `*`), not
 * expanded, since any of them is already wider than the one grant the stack needs.
 */
export interface SqsGrant {
  /** The action as the policy writes it: `sqs:SendMessage`, `sqs:*`, `*`, or `NotAction:<list>`. */
  action: string;
  /** The resource as written, or `NotResource:<list>`. */
  resource: string;
  /** The statement has a Condition (narrower, but not what the spec wrote). */
  conditional: boolean;
}

const asList = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

const iamWildcard = { ignoreCase: true, questionMark: true };

/** Whether an IAM action pattern can match some SQS action (`sqs:*`, `s*:Send*`, `*`...). */
function coversSqs(pattern: string): boolean {
  if (pattern === "*") return true;
  return wildcardMatch(pattern.split(":")[0] ?? "", "sqs", iamWildcard);
}

/** The SQS grants of the Allow statements in the given policy documents. */
export function sqsGrants(policies: unknown[]): SqsGrant[] {
  const grants: SqsGrant[] = [];
  for (const policy of policies) {
    const statements = (policy as { Statement?: unknown } | null | undefined)?.Statement;
    for (const raw of Array.isArray(statements) ? statements : statements ? [statements] : []) {
      const statement = (raw ?? {}) as Record<string, unknown>;
      if (statement.Effect !== "Allow") continue;
      const resources =
        statement.NotResource !== undefined
          ? [`NotResource:${asList(statement.NotResource).join("|")}`]
          : asList(statement.Resource);
      // NotAction allows every action it does not name: SQS ones too, unless it names all of them.
      const notAction = asList(statement.NotAction);
      const actions =
        statement.NotAction !== undefined
          ? notAction.some((a) => a === "*" || a.toLowerCase() === "sqs:*")
            ? []
            : [`NotAction:${notAction.join("|")}`]
          : asList(statement.Action).filter(coversSqs);
      const conditional = statement.Condition !== undefined;
      for (const action of actions)
        for (const resource of resources) grants.push({ action, resource, conditional });
    }
  }
  return grants;
}

/** Whether a grant (wildcards included) lets the role send messages to the queue. */
export function allowsSendTo(grant: SqsGrant, queueArn: string): boolean {
  return (
    !grant.action.startsWith("NotAction:") &&
    wildcardMatch(grant.action, "sqs:SendMessage", iamWildcard) &&
    !grant.resource.startsWith("NotResource:") &&
    wildcardMatch(grant.resource, queueArn, { questionMark: true })
  );
}

/** Whether a grant is exactly "send messages to this queue", unconditionally. */
export function isSendToQueue(grant: SqsGrant, queueArn: string): boolean {
  return (
    grant.action.toLowerCase() === "sqs:sendmessage" && grant.resource === queueArn && !grant.conditional
  );
}
