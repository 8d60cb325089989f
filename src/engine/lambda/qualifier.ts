import { ServiceError } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";

/**
 * Qualifiers of a function (`$LATEST`, a published version number, an alias name) and an alias's weighted
 * routing, as pure functions. Sources (docs/engine.md, Lambda): LocalStack's lambda provider and api_utils for
 * the messages; the Lambda API reference's AliasRoutingConfiguration for the weight range and key pattern.
 */

/** What a request's qualifier names. */
export type QualifierKind = "latest" | "version" | "alias";

/** A published version is a number; an alias is a name that is not all digits (`(?!^[0-9]+$)([a-zA-Z0-9-_]+)`). */
export function qualifierKind(qualifier: string): QualifierKind | undefined {
  if (qualifier === "$LATEST") return "latest";
  if (/^[0-9]+$/.test(qualifier)) return "version";
  if (/^[a-zA-Z0-9-_]{1,128}$/.test(qualifier)) return "alias";
  return undefined;
}

/** Lambda's 400 for a value it cannot use. */
const invalidParameter = (message: string) =>
  new ServiceError(400, "InvalidParameterValueException", message);

/**
 * The one qualifier a request names: the `Qualifier` parameter, the one in `FunctionName` (`name:3`,
 * `arn:...:function:name:live`), or none; both present and different is refused as Lambda refuses it.
 */
export function effectiveQualifier(
  fromName: string | undefined,
  fromParameter: string | null | undefined,
): string | undefined {
  const parameter = fromParameter === null || fromParameter === "" ? undefined : fromParameter;
  if (fromName !== undefined && parameter !== undefined && fromName !== parameter)
    throw invalidParameter(
      "The derived qualifier from the function name does not match the specified qualifier.",
    );
  return parameter ?? fromName;
}

/** An alias's second version and the share of invocations (0..1) routed to it. */
export interface AliasRouting {
  version: string;
  weight: number;
}

/**
 * Checks `RoutingConfig.AdditionalVersionWeights` against the alias's primary version: at most one entry, a
 * published version number other than the primary, a weight in [0, 1], and a primary that is not `$LATEST`.
 * Returns the routing (undefined for none); whether the version exists is the caller's check.
 */
export function parseRouting(routingConfig: unknown, primaryVersion: string): AliasRouting | undefined {
  if (routingConfig === undefined || routingConfig === null) return undefined;
  const weights = (routingConfig as { AdditionalVersionWeights?: unknown }).AdditionalVersionWeights;
  if (weights === undefined || weights === null) return undefined;
  if (typeof weights !== "object" || Array.isArray(weights))
    throw invalidParameter("RoutingConfig.AdditionalVersionWeights must be a map of version to weight");
  const entries = Object.entries(weights as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > 1)
    throw invalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1");
  const [version, weight] = entries[0] as [string, unknown];
  const invalidWeights = (constraintText: string) =>
    new ServiceError(
      400,
      "ValidationException",
      validationMessage(
        "routingConfig.additionalVersionWeights",
        `{${version}=${String(weight)}}`,
        constraintText,
      ),
    );
  if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw invalidWeights(
      "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
    );
  }
  if (version === primaryVersion)
    throw invalidParameter(
      `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
    );
  if (primaryVersion === "$LATEST")
    throw invalidParameter("$LATEST is not supported for an alias pointing to more than 1 version");
  if (!/^[0-9]{1,1024}$/.test(version)) {
    throw invalidWeights(
      "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]",
    );
  }
  return { version, weight };
}

/**
 * The version one invocation of an alias runs: the additional version with probability `weight`, else the
 * primary. `random` returns a number in [0, 1) (Math.random; a fixed one in tests).
 */
export function chooseVersion(
  primaryVersion: string,
  routing: AliasRouting | undefined,
  random: () => number = Math.random,
): string {
  if (!routing || routing.weight <= 0) return primaryVersion;
  return random() < routing.weight ? routing.version : primaryVersion;
}

/** Checks an alias name as CreateAlias does (not all digits, 1..128 of `[a-zA-Z0-9-_]`). */
export function checkAliasName(name: unknown): string {
  if (typeof name !== "string" || qualifierKind(name) !== "alias") {
    throw new ServiceError(
      400,
      "ValidationException",
      validationMessage("name", String(name), constraint.pattern("(?!^[0-9]+$)([a-zA-Z0-9-_]+)")),
    );
  }
  return name;
}
