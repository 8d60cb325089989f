import { type EngineContext, roleCaller } from "../context.ts";

/** What checking a destination needs: IAM enforcement and the account. */
export interface DestinationAccessDependencies {
  context: Pick<EngineContext, "accountId" | "authorizer">;
  /** The engine's `enforceIam`: off, any role may send anywhere. */
  enforceTrust: boolean;
}

/** `arn:aws:sqs:<region>:<account>:<queue>`: the one destination type the engine delivers to. */
export function isQueueArn(arn: string): boolean {
  return /^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}$/.test(arn);
}

/**
 * Whether a function's execution role may send to a destination, as Lambda checks when an on-success or
 * on-failure destination or a dead-letter queue is configured: undefined when it may, `"denied"` when the role's
 * policies do not allow `sqs:SendMessage` on the queue, or a sentence when the destination is not a queue (the
 * engine delivers to SQS only).
 */
export function roleMaySend(
  deps: DestinationAccessDependencies,
  roleArn: string,
  queueArn: string,
): string | undefined {
  if (!isQueueArn(queueArn)) return `The embedded engine delivers to SQS queues only, not to ${queueArn}.`;
  if (!deps.enforceTrust) return undefined;
  const caller = roleCaller(deps.context.accountId, roleArn, "lambda-destination-check", "(lambda)");
  return deps.context.authorizer.authorize(caller, "sqs:SendMessage", queueArn).allowed
    ? undefined
    : "denied";
}
