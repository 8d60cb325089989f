import type { EngineContext } from "../context.ts";
import { roleCaller } from "../credentials.ts";
import { deliveryAction, deliveryTarget } from "../delivery/index.ts";
import { parseFunctionReference } from "./function-name.ts";

/** What checking a destination needs: IAM enforcement and the account. */
export interface DestinationAccessDependencies {
  context: Pick<EngineContext, "accountId" | "authorizer">;
  /** The engine's `enforceIam`: off, any role may send anywhere. */
  enforceTrust: boolean;
}

/** The function whose destination is checked, for the checks a Lambda target needs. */
export interface DestinationOwner {
  /** The function's execution role. */
  role: string;
  name: string;
  /** Whether a function of this name exists (a Lambda target must). */
  exists(functionName: string): boolean;
}

/**
 * Why Lambda refuses a destination at configuration time (the message of its InvalidParameterValueException),
 * or undefined when it accepts it. On-success/on-failure destinations (`use: "destination"`) may be SQS queues or
 * Lambda functions here; a dead-letter queue only a queue. A function target must exist and not be the function
 * itself (LocalStack's `_validate_destination_config` words both as AWS does). With IAM enforced, the execution
 * role needs the delivery action on the target: `sqs:SendMessage` or `lambda:InvokeFunction`.
 */
export function destinationRefusal(
  deps: DestinationAccessDependencies,
  owner: DestinationOwner,
  destinationArn: string,
  use: "destination" | "dead-letter",
): string | undefined {
  const target = deliveryTarget(destinationArn);
  if (!target.ok) return target.reason;
  if (use === "dead-letter" && target.service !== "sqs")
    return `The embedded engine sends dead letters to SQS queues only, not to ${destinationArn}.`;
  if (target.service === "lambda") {
    const name = parseFunctionReference(destinationArn)?.name;
    if (name === owner.name) return "You can't specify the function as a destination for itself.";
    if (!name || !owner.exists(name)) return `The destination ARN ${destinationArn} is invalid.`;
  }
  if (!deps.enforceTrust) return undefined;
  const action = deliveryAction[target.service];
  const caller = roleCaller(deps.context.accountId, owner.role, "lambda-destination-check", "(lambda)");
  if (deps.context.authorizer.authorize(caller, action, destinationArn).allowed) return undefined;
  const call = action.split(":")[1] as string;
  return use === "dead-letter"
    ? `The provided execution role does not have permissions to call ${call} on SQS`
    : `The function's execution role does not have permissions to call ${call} on ${destinationArn}`;
}
