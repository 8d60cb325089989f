import * as z from "zod";
import { type AnyOperation, operation, respondWith, ServiceError } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import type { FunctionQueueSettings } from "./async-queue.ts";
import { type DestinationAccessDependencies, destinationRefusal } from "./destination-access.ts";
import { invalidParameterValue, validationException } from "./function-settings.ts";
import type { FunctionRecord, FunctionStore } from "./functions.ts";
import { type FindFunction, label, maxItems, member, parameter } from "./operations.ts";

/**
 * A function's asynchronous invocation configuration (`/2019-09-25/functions/{name}/event-invoke-config`): how
 * often a failed event is retried, how long it may wait, and where its invocation record goes on success and
 * on failure. Only `$LATEST` exists here, so a function has at most one.
 */
export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
  /** Epoch milliseconds. */
  lastModified: number;
}

type ConfigInput = Omit<EventInvokeConfig, "lastModified">;

/** Lambda's destination ARN pattern (DestinationConfig.OnSuccess/OnFailure.Destination). */
const destinationPattern =
  /^$|^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}(-gov)?-[a-z]+-\d)?:(\d{12})?:(.*)$/;
const destinationPatternText =
  "^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)";

/** The queue settings the asynchronous queue reads for a function. */
export function queueSettings(config: EventInvokeConfig | undefined): FunctionQueueSettings | undefined {
  if (!config) return undefined;
  return {
    ...(config.maximumRetryAttempts !== undefined ? { maxRetries: config.maximumRetryAttempts } : {}),
    ...(config.maximumEventAgeInSeconds !== undefined
      ? { maxEventAgeMs: config.maximumEventAgeInSeconds * 1000 }
      : {}),
  };
}

/** An integer member within [min, max], or AWS's validation error naming the bound it breaks. */
function boundedInteger(value: unknown, member: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value))
    throw validationException(validationMessage(member, String(value)));
  if (value < min) throw validationException(validationMessage(member, value, constraint.atLeast(min)));
  if (value > max) throw validationException(validationMessage(member, value, constraint.atMost(max)));
  return value;
}

function destinationOf(config: unknown, key: "OnSuccess" | "OnFailure", member: string): string | undefined {
  const destination = (config as Record<string, { Destination?: unknown } | undefined> | null)?.[key]
    ?.Destination;
  if (destination === undefined || destination === null) return undefined;
  if (typeof destination !== "string" || destination.length > 350 || !destinationPattern.test(destination)) {
    throw validationException(
      validationMessage(member, String(destination), constraint.pattern(destinationPatternText)),
    );
  }
  return destination === "" ? undefined : destination;
}

/**
 * The members of a Put/UpdateFunctionEventInvokeConfig body, validated as Lambda validates them:
 * MaximumRetryAttempts 0..2, MaximumEventAgeInSeconds 60..21600, destination ARNs by pattern and at most 350
 * characters. At least one of them must be given.
 */
function parseEventInvokeConfigInput(body: Record<string, unknown>): ConfigInput {
  const input: ConfigInput = {};
  if (body.MaximumRetryAttempts !== undefined && body.MaximumRetryAttempts !== null)
    input.maximumRetryAttempts = boundedInteger(body.MaximumRetryAttempts, "maximumRetryAttempts", 0, 2);
  if (body.MaximumEventAgeInSeconds !== undefined && body.MaximumEventAgeInSeconds !== null) {
    input.maximumEventAgeInSeconds = boundedInteger(
      body.MaximumEventAgeInSeconds,
      "maximumEventAgeInSeconds",
      60,
      21600,
    );
  }
  const destinations = body.DestinationConfig;
  if (destinations !== undefined && destinations !== null) {
    const onSuccess = destinationOf(destinations, "OnSuccess", "destinationConfig.onSuccess.destination");
    const onFailure = destinationOf(destinations, "OnFailure", "destinationConfig.onFailure.destination");
    if (onSuccess) input.onSuccess = onSuccess;
    if (onFailure) input.onFailure = onFailure;
  }
  if (
    input.maximumRetryAttempts === undefined &&
    input.maximumEventAgeInSeconds === undefined &&
    (destinations === undefined || destinations === null)
  ) {
    throw invalidParameterValue("You must specify at least one of error handling or destination setting.");
  }
  return input;
}

/** The `FunctionEventInvokeConfig` shape of the API (the ARN qualified with `$LATEST`, LastModified in seconds). */
function renderEventInvokeConfig(functionArn: string, config: EventInvokeConfig): Record<string, unknown> {
  return {
    LastModified: config.lastModified / 1000,
    FunctionArn: `${functionArn}:$LATEST`,
    ...(config.maximumRetryAttempts !== undefined
      ? { MaximumRetryAttempts: config.maximumRetryAttempts }
      : {}),
    ...(config.maximumEventAgeInSeconds !== undefined
      ? { MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds }
      : {}),
    DestinationConfig: {
      OnSuccess: config.onSuccess ? { Destination: config.onSuccess } : {},
      OnFailure: config.onFailure ? { Destination: config.onFailure } : {},
    },
  };
}

function checkDestinations(
  deps: EventInvokeConfigDependencies,
  record: FunctionRecord,
  input: ConfigInput,
): void {
  const owner = {
    role: record.role,
    name: record.name,
    exists: (name: string) => deps.store.get(name) !== undefined,
  };
  for (const arn of [input.onSuccess, input.onFailure]) {
    const refusal = arn ? destinationRefusal(deps, owner, arn, "destination") : undefined;
    if (refusal) throw invalidParameterValue(refusal);
  }
}

const missing = (record: FunctionRecord) =>
  new ServiceError(
    404,
    "ResourceNotFoundException",
    `The function ${record.arn}:$LATEST doesn't have an EventInvokeConfig`,
  );

/** What the event-invoke-config operations need from the service. */
export interface EventInvokeConfigDependencies extends DestinationAccessDependencies {
  store: FunctionStore;
}

const configPath = "/2019-09-25/functions/{FunctionName}/event-invoke-config";

/** The members Put and Update take. */
const configInput = z.object({
  FunctionName: label,
  Qualifier: parameter,
  MaximumRetryAttempts: member,
  MaximumEventAgeInSeconds: member,
  DestinationConfig: member,
});

/**
 * The event-invoke-config operations (API version 2019-09-25): Put replaces the configuration, Update merges
 * into it, Get, Delete, and List (at most one here). `dependencies` is read per call, as the operations are
 * declared before the service's dependencies are set.
 */
export function eventInvokeConfigOperations(
  dependencies: () => EventInvokeConfigDependencies,
  find: FindFunction,
): AnyOperation[] {
  const save = (record: FunctionRecord, config: EventInvokeConfig | undefined) => {
    dependencies().store.setEventInvokeConfig(record, config);
    return config;
  };
  const qualified = z.object({ FunctionName: label, Qualifier: parameter });
  return [
    operation({
      name: "PutFunctionEventInvokeConfig",
      http: { method: "PUT", path: configPath },
      action: "lambda:PutFunctionEventInvokeConfig",
      input: configInput,
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName, input.Qualifier);
        const parsed = parseEventInvokeConfigInput(input);
        checkDestinations(dependencies(), record, parsed);
        const config = save(record, { ...parsed, lastModified: Date.now() }) as EventInvokeConfig;
        return renderEventInvokeConfig(record.arn, config);
      },
    }),
    operation({
      name: "UpdateFunctionEventInvokeConfig",
      http: { method: "POST", path: configPath },
      action: "lambda:UpdateFunctionEventInvokeConfig",
      input: configInput,
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName, input.Qualifier);
        const parsed = parseEventInvokeConfigInput(input);
        const current = record.eventInvokeConfig;
        if (!current) throw missing(record);
        checkDestinations(dependencies(), record, parsed);
        const merged: EventInvokeConfig = { ...current, ...parsed, lastModified: Date.now() };
        // A DestinationConfig given replaces both destinations (an absent one is removed), as Lambda does.
        if (input.DestinationConfig !== undefined && input.DestinationConfig !== null) {
          if (!parsed.onSuccess) delete merged.onSuccess;
          if (!parsed.onFailure) delete merged.onFailure;
        }
        save(record, merged);
        return renderEventInvokeConfig(record.arn, merged);
      },
    }),
    operation({
      name: "GetFunctionEventInvokeConfig",
      http: { method: "GET", path: configPath },
      action: "lambda:GetFunctionEventInvokeConfig",
      input: qualified,
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName, input.Qualifier);
        if (!record.eventInvokeConfig) throw missing(record);
        return renderEventInvokeConfig(record.arn, record.eventInvokeConfig);
      },
    }),
    operation({
      name: "DeleteFunctionEventInvokeConfig",
      http: { method: "DELETE", path: configPath },
      action: "lambda:DeleteFunctionEventInvokeConfig",
      input: qualified,
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName, input.Qualifier);
        if (!record.eventInvokeConfig) throw missing(record);
        save(record, undefined);
        return respondWith({ status: 204 });
      },
    }),
    operation({
      name: "ListFunctionEventInvokeConfigs",
      http: { method: "GET", path: `${configPath}/list` },
      action: "lambda:ListFunctionEventInvokeConfigs",
      input: z.object({ FunctionName: label, Marker: parameter, MaxItems: maxItems }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const config = record.eventInvokeConfig;
        return { FunctionEventInvokeConfigs: config ? [renderEventInvokeConfig(record.arn, config)] : [] };
      },
    }),
  ];
}
