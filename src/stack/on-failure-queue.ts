import {
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import type { AwsClients } from "../aws/clients.ts";
import { errorName, isNotFoundError } from "../aws/errors.ts";
import { IAM_PROPAGATION_WINDOW_MS, retryWithinWindow } from "./retry-window.ts";
import { destinationConfig, onFailureQueueAttributes, type Stack } from "./spec.ts";

/**
 * The on-failure queue and the function's event invoke config on a target: the provisioner's two steps and the
 * queue look-up `down`, `verify` and `pipeline failed` share. Small SDK adapters; the wanted values come from the
 * spec.
 */

type Outcome = "created" | "updated" | "unchanged" | ["created" | "updated" | "unchanged", string];

/** The queue's URL, or undefined when the stack's on-failure queue does not exist. */
export async function onFailureQueueUrl(
  clients: Pick<AwsClients, "sqs">,
  stack: Stack,
): Promise<string | undefined> {
  try {
    const { QueueUrl } = await clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: stack.onFailureQueue.name }),
    );
    return QueueUrl;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/** Creates the on-failure queue with its retention, or sets the retention of an existing one that differs. */
export async function ensureOnFailureQueue(
  clients: Pick<AwsClients, "sqs">,
  stack: Stack,
  options: { realAws?: boolean } = {},
): Promise<Outcome> {
  const wanted = onFailureQueueAttributes(stack);
  const url = await onFailureQueueUrl(clients, stack);
  if (url) {
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["MessageRetentionPeriod"] }),
    );
    if (Attributes.MessageRetentionPeriod === wanted.MessageRetentionPeriod) return "unchanged";
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: wanted }));
    return ["updated", `retention ${wanted.MessageRetentionPeriod} s`];
  }
  // AWS refuses a name deleted less than 60 s ago (QueueDeletedRecently): `down` then `up` in a row hits it.
  await retryWithinWindow(
    () =>
      clients.sqs.send(new CreateQueueCommand({ QueueName: stack.onFailureQueue.name, Attributes: wanted })),
    (error) => errorName(error) === "QueueDeletedRecently",
    options.realAws ? 70_000 : 0,
  );
  return "created";
}

/** The function's asynchronous invocation config as GetFunctionEventInvokeConfig reports it, or null. */
export async function readEventInvokeConfig(
  clients: Pick<AwsClients, "lambda">,
  stack: Stack,
): Promise<{ maximumRetryAttempts?: number; onFailure?: string; onSuccess?: string } | null> {
  try {
    const config = await clients.lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: stack.functionName }),
    );
    return {
      ...(config.MaximumRetryAttempts !== undefined
        ? { maximumRetryAttempts: config.MaximumRetryAttempts }
        : {}),
      ...(config.DestinationConfig?.OnFailure?.Destination
        ? { onFailure: config.DestinationConfig.OnFailure.Destination }
        : {}),
      ...(config.DestinationConfig?.OnSuccess?.Destination
        ? { onSuccess: config.DestinationConfig.OnSuccess.Destination }
        : {}),
    };
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw error;
  }
}

/** Lambda checks that the execution role may send to the destination; on AWS a policy just put takes a moment. */
const destinationNotAllowedYet = (error: unknown) =>
  errorName(error) === "InvalidParameterValueException" &&
  /permissions? to call SendMessage/i.test(String((error as Error).message));

/** Puts the function's event invoke config (retries, on-failure destination) unless it already is the spec's. */
export async function ensureEventInvokeConfig(
  clients: Pick<AwsClients, "lambda">,
  stack: Stack,
  options: { realAws?: boolean } = {},
): Promise<Outcome> {
  const current = await readEventInvokeConfig(clients, stack);
  const wanted = stack.eventInvokeConfig;
  if (
    current?.maximumRetryAttempts === wanted.maximumRetryAttempts &&
    current.onFailure === wanted.onFailureDestination &&
    current.onSuccess === undefined
  )
    return "unchanged";
  await retryWithinWindow(
    () =>
      clients.lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: stack.functionName,
          MaximumRetryAttempts: wanted.maximumRetryAttempts,
          DestinationConfig: destinationConfig(stack),
        }),
      ),
    destinationNotAllowedYet,
    options.realAws ? IAM_PROPAGATION_WINDOW_MS : 0,
  );
  return current ? ["updated", `retries ${wanted.maximumRetryAttempts}, on failure to the queue`] : "created";
}
