import { loadAwsClients } from "../../src/aws/clients.ts";
import { isNotFoundError } from "../../src/aws/errors.ts";
import { redactEndpoint } from "./endpoint.ts";
import { EnvironmentError } from "./errors.ts";
import {
  type EndpointStatus,
  hintCommand,
  isNotAwsAnswer,
  notAwsMessage,
  requireEndpoint,
  type TargetBase,
} from "./target.ts";

/** Which parts of the stack a target holds. */
export interface StackPresence {
  bucket: boolean;
  table: boolean;
  function: boolean;
}

/** Where the stack is looked for, as messages name it: the endpoint, or the AWS account and region. */
export function targetName(target: TargetBase): string {
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

const ALL_PARTS: ReadonlyArray<keyof StackPresence> = ["bucket", "table", "function"];
const PART_SERVICE = { bucket: "s3", table: "dynamodb", function: "lambda" } as const;

/** Whether each of `parts` exists (in parallel), with clients loaded for those parts only; the rest are not read. */
async function readParts(
  target: TargetBase,
  parts: ReadonlyArray<keyof StackPresence>,
): Promise<Partial<StackPresence>> {
  const { stack } = target;
  const services = parts.map((part) => PART_SERVICE[part]);
  const clients = await loadAwsClients(target.aws, services);
  const reads: Record<keyof StackPresence, () => Promise<boolean>> = {
    bucket: async () => {
      const { HeadBucketCommand } = await import("@aws-sdk/client-s3");
      return exists(() => clients.s3.send(new HeadBucketCommand({ Bucket: stack.bucket })));
    },
    table: async () => {
      const { DescribeTableCommand } = await import("@aws-sdk/client-dynamodb");
      return exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.table })));
    },
    function: async () => {
      const { GetFunctionConfigurationCommand } = await import("@aws-sdk/client-lambda");
      return exists(() =>
        clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: stack.functionName })),
      );
    },
  };
  try {
    const found = await Promise.all(parts.map((part) => reads[part]()));
    return Object.fromEntries(parts.map((part, i) => [part, found[i]]));
  } finally {
    clients.destroy();
  }
}

/** `readParts`, with an answer that is not AWS's turned into the one-line "answered like no AWS service". */
async function readPartsOrExplain(
  target: TargetBase,
  parts: ReadonlyArray<keyof StackPresence>,
  endpoint: EndpointStatus | undefined,
): Promise<Partial<StackPresence>> {
  try {
    return await readParts(target, parts);
  } catch (error) {
    if (isNotAwsAnswer(error) && target.endpoint)
      throw new EnvironmentError(notAwsMessage(target.endpoint, endpoint?.answer), { cause: error });
    throw error;
  }
}

/** Whether the bucket, the table and the function exist (three reads, in parallel), explained as above. */
export async function readStackPresenceOrExplain(
  target: TargetBase,
  endpoint: EndpointStatus | undefined,
): Promise<StackPresence> {
  return (await readPartsOrExplain(target, ALL_PARTS, endpoint)) as StackPresence;
}

/**
 * Before a verb works on the stack: something must answer at the endpoint (else exit 2 naming it), it must answer
 * like AWS (else exit 2, "answered like no AWS service"), and the stack must be there. With `need`, those parts must
 * exist; without, any part is enough (verify then shows FAIL rows for what is missing), and `readFirst` names the
 * part to look for first (one whose client the verb loads anyway): found, it settles that, and the other parts'
 * clients are never loaded. Nothing there at all: exit 2, "no stack at <endpoint>: run `npx pipeline up`".
 */
export async function requireStack(
  target: TargetBase,
  need: Array<keyof StackPresence> = [],
  readFirst?: keyof StackPresence,
): Promise<{ presence: Partial<StackPresence>; endpoint?: EndpointStatus }> {
  const endpoint = await requireEndpoint(target);
  // The parts the verb needs are read first (loading only their clients); the others only when one is missing, to
  // tell "no stack here" from "the stack has no function".
  const first = need.length > 0 ? need : readFirst ? [readFirst] : ALL_PARTS;
  let presence = await readPartsOrExplain(target, first, endpoint);
  const unread = ALL_PARTS.filter((part) => presence[part] === undefined);
  if (first.some((part) => !presence[part]) && unread.length > 0)
    presence = { ...presence, ...(await readPartsOrExplain(target, unread, endpoint)) };
  // A bare 404 to HeadBucket is all a plain web server gives: only an endpoint that is not LocalStack-shaped and
  // has none of the stack is asked once more, with a call whose answer must parse.
  const none = ALL_PARTS.every((part) => presence[part] === false);
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
