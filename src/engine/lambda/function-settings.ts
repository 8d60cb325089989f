import type { EngineContext } from "../context.ts";
import type { IamApi } from "../iam/contract.ts";
import { ServiceError } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { destinationRefusal } from "./destination-access.ts";
import { RoleNotAssumableError } from "./errors.ts";
import { executionRoleAssumable } from "./execution-role.ts";
import type { FunctionSettings } from "./functions.ts";
import { type RuntimeResolver, RuntimeUnavailableError } from "./runtimes.ts";

/**
 * A function's settings as CreateFunction and UpdateFunctionConfiguration accept them: runtime, role, handler,
 * description, timeout, memory and environment, each checked as Lambda checks it.
 */

/** Runtimes a function may declare; each runs on a Node of its major where there is one (see runtimes.ts). */
const supportedRuntimes = ["nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"] as const;

/** Variables Lambda sets itself; functions may not define them (AWS rejects the request). */
const reservedVariables = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

/** What checking settings needs from the service. */
export interface FunctionSettingsDependencies {
  context: EngineContext;
  /** Execution roles and their trust policies. */
  iam: IamApi;
  /**
   * Check execution roles' trust policies (the engine's `enforceIam`). Off, a role only has to exist, as on
   * LocalStack without IAM enforcement.
   */
  enforceTrust: boolean;
  /** Which Node runs each runtime; with `strictRuntime` a runtime that would be emulated is refused. */
  runtimes: RuntimeResolver;
}

/** Lambda's 400 for a value it cannot use. */
export const invalidParameterValue = (message: string) =>
  new ServiceError(400, "InvalidParameterValueException", message);
/** Lambda's 400 for a value outside the API's constraints. */
export const validationException = (message: string) => new ServiceError(400, "ValidationException", message);

/**
 * Validates the settings present in a Create/UpdateFunctionConfiguration body; `currentRole` is the function's
 * role when the body does not change it (the dead-letter queue is checked against the role that will send).
 */
export function parseFunctionSettings(
  body: Record<string, unknown>,
  deps: FunctionSettingsDependencies,
  currentRole?: string,
): Partial<FunctionSettings> {
  const settings: Partial<FunctionSettings> = {};
  if (body.Runtime !== undefined) {
    if (
      typeof body.Runtime !== "string" ||
      !(supportedRuntimes as readonly string[]).includes(body.Runtime)
    ) {
      throw invalidParameterValue(
        `The runtime parameter of ${String(body.Runtime)} is not supported by the embedded engine; use one of ${supportedRuntimes.join(", ")}.`,
      );
    }
    if (deps.runtimes.strict) {
      try {
        deps.runtimes.resolve(body.Runtime);
      } catch (error) {
        if (error instanceof RuntimeUnavailableError) throw invalidParameterValue(error.message);
        throw error;
      }
    }
    settings.runtime = body.Runtime;
  }
  if (body.Role !== undefined) settings.role = validateRole(body.Role, deps);
  if (body.Handler !== undefined) {
    if (typeof body.Handler !== "string" || !/^[^\s]{1,128}$/.test(body.Handler)) {
      throw validationException(validationMessage("handler", String(body.Handler)));
    }
    settings.handler = body.Handler;
  }
  if (body.Description !== undefined) {
    if (typeof body.Description !== "string" || body.Description.length > 256)
      throw validationException("Description must be a string of at most 256 characters");
    settings.description = body.Description;
  }
  if (body.Timeout !== undefined) settings.timeout = integerIn(body.Timeout, "timeout", 1, 900);
  if (body.MemorySize !== undefined)
    settings.memorySize = integerIn(body.MemorySize, "memorySize", 128, 10240);
  if (body.Environment !== undefined) {
    const variables = (body.Environment as { Variables?: unknown } | null)?.Variables ?? {};
    if (typeof variables !== "object" || variables === null || Array.isArray(variables))
      throw validationException("Environment.Variables must be a map");
    const entries = Object.entries(variables as Record<string, unknown>);
    const reserved = entries.map(([key]) => key).filter((key) => reservedVariables.has(key));
    if (reserved.length > 0) {
      throw invalidParameterValue(
        `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
      );
    }
    for (const [key, value] of entries) {
      if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(key) || typeof value !== "string") {
        throw validationException(
          `1 validation error detected: Environment variable '${key}' must have a name matching [a-zA-Z]([a-zA-Z0-9_])+ and a string value`,
        );
      }
    }
    settings.environment = Object.fromEntries(entries) as Record<string, string>;
  }
  if (body.Architectures !== undefined) settings.architecture = parseArchitectures(body.Architectures);
  if (body.EphemeralStorage !== undefined) {
    const size = (body.EphemeralStorage as { Size?: unknown } | null)?.Size;
    if (typeof size !== "number" || !Number.isInteger(size))
      throw validationException(validationMessage("ephemeralStorage.size", null, constraint.notNull));
    if (size > 10240)
      throw validationException(validationMessage("ephemeralStorage.size", size, constraint.atMost(10240)));
    if (size < 512)
      throw validationException(validationMessage("ephemeralStorage.size", size, constraint.atLeast(512)));
    settings.ephemeralStorage = size;
  }
  if (body.TracingConfig !== undefined) {
    const mode = (body.TracingConfig as { Mode?: unknown } | null)?.Mode ?? "PassThrough";
    if (mode !== "Active" && mode !== "PassThrough")
      throw validationException(
        validationMessage("tracingConfig.mode", String(mode), constraint.enumOf(["Active", "PassThrough"])),
      );
    settings.tracingMode = mode;
  }
  if (body.Tags !== undefined) settings.tags = parseTags(body.Tags);
  if (body.DeadLetterConfig !== undefined && body.DeadLetterConfig !== null) {
    settings.deadLetterTargetArn = deadLetterTarget(
      body.DeadLetterConfig,
      deps,
      settings.role ?? currentRole,
    );
  }
  return settings;
}

/**
 * `Architectures`: exactly one of x86_64 and arm64 (botocore's `ArchitecturesList`: max 1, enum), with the
 * messages LocalStack's provider answers.
 */
export function parseArchitectures(value: unknown): "x86_64" | "arm64" {
  const list = Array.isArray(value) ? value.map(String) : [String(value)];
  const shown = `[${list.join(", ")}]`;
  if (list.length !== 1)
    throw validationException(validationMessage("architectures", shown, constraint.maxLength(1)));
  const [architecture] = list;
  if (architecture !== "x86_64" && architecture !== "arm64") {
    throw validationException(
      validationMessage(
        "architectures",
        shown,
        `Member must satisfy constraint: [${constraint.enumOf(["x86_64", "arm64"])}, ${constraint.notNull}]`,
      ),
    );
  }
  return architecture;
}

/** CreateFunction's `Tags`: a map of string values, at most 50 (Lambda's tag quota, as LocalStack applies it). */
export function parseTags(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw validationException("Tags must be a map of tag keys to values");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) throw invalidParameterValue("Number of tags exceeds resource tag limit.");
  for (const [key, tag] of entries) {
    if (typeof tag !== "string" || key.length < 1 || key.length > 128 || tag.length > 256)
      throw validationException(
        validationMessage("tags", undefined, "Map keys must have length 1..128 and values length 0..256"),
      );
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * DeadLetterConfig.TargetArn: empty removes the queue; otherwise an ARN the execution role may send to (Lambda
 * refuses one it may not, whatever the message).
 */
function deadLetterTarget(
  config: unknown,
  deps: FunctionSettingsDependencies,
  role: string | undefined,
): string {
  const target = (config as { TargetArn?: unknown }).TargetArn ?? "";
  if (typeof target !== "string" || !/^((arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|())$/.test(target)) {
    throw validationException(
      validationMessage(
        "deadLetterConfig.targetArn",
        String(target),
        constraint.pattern("(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()"),
      ),
    );
  }
  // A dead-letter target is a queue: the owner's name and the function list do not matter to its check.
  const owner = { role: role ?? "", name: "", exists: () => false };
  const refusal = target !== "" && role ? destinationRefusal(deps, owner, target, "dead-letter") : undefined;
  if (refusal) throw invalidParameterValue(refusal);
  return target;
}

function validateRole(role: unknown, deps: FunctionSettingsDependencies): string {
  if (
    typeof role !== "string" ||
    !/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)
  ) {
    throw validationException(
      validationMessage(
        "role",
        String(role),
        constraint.pattern("arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"),
      ),
    );
  }
  const assumable = deps.enforceTrust
    ? executionRoleAssumable(deps.iam, role)
    : deps.iam.getRole(role) !== undefined;
  if (!assumable) throw invalidParameterValue(new RoleNotAssumableError(role).message);
  return role;
}

/** `value` as an integer in [min, max], or AWS's validation error for `field`. */
function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw validationException(validationMessage(field, String(value), constraint.between(min, max)));
  }
  return value;
}
