import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { isNotFoundError } from "../../src/aws/errors.ts";
import { redactEndpoint } from "./endpoint.ts";
import { EnvironmentError } from "./errors.ts";
import {
  type EndpointStatus,
  hintCommand,
  isNotAwsAnswer,
  notAwsMessage,
  requireEndpoint,
  type Target,
} from "./target.ts";

/** Which parts of the stack a target holds. */
export interface StackPresence {
  bucket: boolean;
  table: boolean;
  function: boolean;
}

/** Where the stack is looked for, as messages name it: the endpoint, or the AWS account and region. */
export function targetName(target: Target): string {
  return target.kind === "aws"
    ? `AWS account ${target.identity?.account} in ${target.region}`
    : `${redactEndpoint(target.endpoint ?? "")}${target.regionSource === "default" ? "" : ` in ${target.region}`}`;
}

/** Whether one read found its resource (false for "does not exist"; other errors are thrown). */
async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/** Reads whether the bucket, the table and the function exist (three reads, in parallel). */
async function readStackPresence(target: Target): Promise<StackPresence> {
  const { clients, stack } = target;
  const [bucket, table, fn] = await Promise.all([
    exists(() => clients.s3.send(new HeadBucketCommand({ Bucket: stack.bucket }))),
    exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.table }))),
    exists(() =>
      clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: stack.functionName })),
    ),
  ]);
  return { bucket, table, function: fn };
}

/** `readStackPresence`, with an answer that is not AWS's turned into the one-line "answered like no AWS service". */
export async function readStackPresenceOrExplain(
  target: Target,
  endpoint: EndpointStatus | undefined,
): Promise<StackPresence> {
  try {
    return await readStackPresence(target);
  } catch (error) {
    if (isNotAwsAnswer(error) && target.endpoint)
      throw new EnvironmentError(notAwsMessage(target.endpoint, endpoint?.answer), { cause: error });
    throw error;
  }
}

/**
 * Before a verb works on the stack: something must answer at the endpoint (else exit 2 naming it), it must answer
 * like AWS (else exit 2, "answered like no AWS service"), and the stack must be there. With `need`, those parts must
 * exist; without, any part is enough (verify then shows FAIL rows for what is missing). Nothing there at all: exit 2,
 * "no stack at <endpoint>: run `npx pipeline up`".
 */
export async function requireStack(
  target: Target,
  need: Array<keyof StackPresence> = [],
): Promise<{ presence: StackPresence; endpoint?: EndpointStatus }> {
  const endpoint = await requireEndpoint(target);
  const presence = await readStackPresenceOrExplain(target, endpoint);
  // A bare 404 to HeadBucket is all a plain web server gives: only an endpoint that is not LocalStack-shaped and
  // has none of the stack is asked once more, with a call whose answer must parse.
  const none = !presence.bucket && !presence.table && !presence.function;
  if (none && endpoint?.kind === "other" && target.endpoint)
    throw new EnvironmentError(notAwsMessage(target.endpoint, endpoint.answer));
  const up = hintCommand(target, "up");
  if (none) throw new EnvironmentError(`no stack at ${targetName(target)}: run \`${up}\``);
  const missing = need.filter((part) => !presence[part]);
  if (missing.length > 0)
    throw new EnvironmentError(
      `the stack at ${targetName(target)} has no ${missing.join(", no ")}: run \`${up}\` to provision it again`,
    );
  return { presence, ...(endpoint ? { endpoint } : {}) };
}
