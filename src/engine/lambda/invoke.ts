import { headerValue } from "../headers.ts";
import { ServiceError } from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import type { AsyncInvocationQueue } from "./async-queue.ts";
import type { Deployment } from "./environment.ts";
import {
  ConcurrencyLimitError,
  concurrencyLimitExceeded,
  FunctionGoneError,
  functionNotFound,
  RoleNotAssumableError,
} from "./errors.ts";
import { invalidParameterValue, validationException } from "./function-settings.ts";
import type { FunctionStore } from "./functions.ts";
import type { FunctionTarget } from "./operations.ts";
import { chooseVersion } from "./qualifier.ts";
import type { FunctionRunner } from "./runner.ts";
import { lambdaLimits } from "./section.ts";
import type { PublishedVersion } from "./versions.ts";

const { syncPayloadBytes: syncPayloadLimit, asyncPayloadBytes: asyncPayloadLimit } = lambdaLimits;
const tailBytes = 4096;

/** What an invocation needs from the service. */
export interface InvokeDependencies {
  store: FunctionStore;
  runner: FunctionRunner;
  queue: AsyncInvocationQueue;
}

/**
 * Invoke (`POST .../invocations`) on a function already found and authorized: `RequestResponse` runs it and
 * answers its result (a function error is a 200 with `X-Amz-Function-Error`), `Event` queues it (202), `DryRun`
 * only checks (204).
 */
export async function invoke(
  request: ServiceRequest,
  target: FunctionTarget,
  deps: InvokeDependencies,
): Promise<ServiceResponse> {
  const { record } = target;
  // An alias runs its primary version, or its additional one for the routed share of invocations.
  const executed = target.alias
    ? chooseVersion(target.alias.functionVersion, target.alias.routing)
    : (target.version?.version ?? "$LATEST");
  const invocationType = headerValue(request.headers, "x-amz-invocation-type") ?? "RequestResponse";
  if (!["RequestResponse", "Event", "DryRun"].includes(invocationType)) {
    throw validationException(
      validationMessage(
        "invocationType",
        invocationType,
        constraint.enumOf(["Event", "RequestResponse", "DryRun"]),
      ),
    );
  }
  if (invocationType === "DryRun") return { status: 204, headers: { "x-amz-executed-version": executed } };
  const limit = invocationType === "Event" ? asyncPayloadLimit : syncPayloadLimit;
  if (request.body.length > limit) {
    throw new ServiceError(
      413,
      "RequestTooLargeException",
      `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
    );
  }
  const payload = request.body.toString("utf8");
  if (payload.trim() !== "") {
    try {
      JSON.parse(payload);
    } catch (error) {
      throw new ServiceError(
        400,
        "InvalidRequestContentException",
        `Could not parse request body into json: ${String(error)}`,
      );
    }
  }
  if (record.state === "Failed") {
    throw new ServiceError(
      502,
      "ResourceNotReadyException",
      `The function ${record.name} is in state Failed: ${record.stateReason ?? ""}`,
    );
  }
  if (invocationType === "Event") {
    // The retry queue runs $LATEST by function name; queuing a version or alias would run the wrong code.
    if (executed !== "$LATEST")
      throw invalidParameterValue(
        `Asynchronous invocation (InvocationType Event) of a published version or alias (${target.qualifier}) is not supported by the embedded engine; invoke it with RequestResponse or invoke $LATEST.`,
      );
    deps.queue.enqueue(record.name, payload, { requestId: request.requestId });
    return { status: 202, headers: { "x-amzn-requestid": request.requestId } };
  }
  const version =
    executed === "$LATEST" ? undefined : record.versions.find((candidate) => candidate.version === executed);
  if (executed !== "$LATEST" && !version) throw functionNotFound(`${record.arn}:${executed}`);
  if (!(version ? version.deployment : record.deployment)) {
    throw new ServiceError(
      409,
      "ResourceConflictException",
      `The operation cannot be performed at this time. The function is currently in the following state: ${record.state}`,
    );
  }
  const clientContext = parseClientContext(headerValue(request.headers, "x-amz-client-context"));
  let result: Awaited<ReturnType<FunctionRunner["invoke"]>>;
  try {
    // Bound, not a closure: run from source, tsx names every closure made per request (request-path-names.test.ts).
    result = await deps.runner.invoke(currentDeployment.bind(undefined, deps.store, record.name, version), {
      requestId: request.requestId,
      payload,
      clientContext,
      throttle: true,
    });
  } catch (error) {
    if (error instanceof FunctionGoneError)
      throw functionNotFound(version ? `${record.arn}:${version.version}` : record.arn);
    if (error instanceof ConcurrencyLimitError) throw concurrencyLimitExceeded(error);
    // A new execution environment could not assume the role (its trust policy changed, or it was deleted). The
    // Invoke API reference lists InvalidParameterValueException for "an IAM role ... that Lambda is unable to
    // assume", so the request fails as a 400 with CreateFunction's sentence rather than as a function error.
    if (error instanceof RoleNotAssumableError) throw invalidParameterValue(error.message);
    throw error;
  }
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-amz-executed-version": executed,
  };
  if (headerValue(request.headers, "x-amz-log-type") === "Tail")
    headers["x-amz-log-result"] = tail(result.logText);
  if (result.ok) return { status: 200, headers, body: result.payload };
  headers["x-amz-function-error"] = "Unhandled";
  const error = result.error;
  const body =
    error.trace && error.trace.length > 0
      ? error
      : { errorType: error.errorType, errorMessage: error.errorMessage };
  return { status: 200, headers, body: JSON.stringify(body) };
}

/**
 * What an invocation runs, read when its environment is chosen (the function may have been updated or deleted
 * since the request came): the function's current deployment, or the published version's while it still exists.
 */
function currentDeployment(
  store: FunctionStore,
  name: string,
  version: PublishedVersion | undefined,
): Deployment | undefined {
  const current = store.get(name);
  if (!version) return current?.deployment;
  return current?.versions.includes(version) ? version.deployment : undefined;
}

function parseClientContext(encoded: string | undefined): unknown {
  if (!encoded) return undefined;
  try {
    return JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    throw new ServiceError(
      400,
      "InvalidRequestContentException",
      "Client context must be a valid Base64-encoded JSON object.",
    );
  }
}

/** Base64 of the last 4 KB of the log, as `X-Amz-Log-Result` carries it. */
function tail(logText: string): string {
  const bytes = Buffer.from(`${logText}\n`, "utf8");
  return bytes.subarray(Math.max(0, bytes.length - tailBytes)).toString("base64");
}
