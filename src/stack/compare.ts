import type { LambdaFunctionConfiguration } from "@aws-sdk/client-s3";
import type { Stack } from "./spec.ts";

/**
 * Pure comparisons between what a service reports and what the stack spec wants; shared by the provisioner
 * (to decide `unchanged`) and the stack check behind `verify`.
 */

/** IAM returns policy documents URL-encoded; Lambda returns them as JSON strings. */
export function normalizePolicy(document: string | undefined | null): unknown {
  if (!document) return undefined;
  let text = document;
  if (!text.trimStart().startsWith("{")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Canonical form: single strings become one-element arrays, arrays are sorted, keys sorted, Sids kept. */
export function canonicalPolicy(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonicalPolicy(v));
    return items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalPolicy((value as Record<string, unknown>)[k], k)]),
    );
  }
  if (typeof value === "string" && ["Action", "NotAction", "Resource", "NotResource"].includes(key))
    return [value];
  return value;
}

export function policiesEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalPolicy(a)) === JSON.stringify(canonicalPolicy(b));
}

/** Lambda renders condition keys as `AWS:SourceArn`; IAM treats them case-insensitively. */
function conditionValue(statement: Record<string, unknown>, operator: string, key: string): unknown {
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  const block = condition?.[operator];
  if (!block) return undefined;
  const found = Object.keys(block).find((k) => k.toLowerCase() === key.toLowerCase());
  return found ? block[found] : undefined;
}

/** Does a resource-policy statement grant exactly the invoke permission the stack specifies? */
export function permissionMatches(statement: unknown, stack: Stack): boolean {
  const s = statement as Record<string, unknown>;
  const principal = s.Principal as { Service?: string | string[] } | string | undefined;
  const service = typeof principal === "object" ? principal.Service : principal;
  const action = Array.isArray(s.Action) ? s.Action : [s.Action];
  const conditionOperators = Object.keys((s.Condition as object | undefined) ?? {}).sort();
  return (
    s.Effect === "Allow" &&
    service === stack.invokePermission.principal &&
    action.length === 1 &&
    action[0] === stack.invokePermission.action &&
    s.Resource === stack.arns.function &&
    conditionValue(s, "ArnLike", "aws:SourceArn") === stack.invokePermission.sourceArn &&
    conditionValue(s, "StringEquals", "aws:SourceAccount") === stack.invokePermission.sourceAccount &&
    JSON.stringify(conditionOperators) === JSON.stringify(["ArnLike", "StringEquals"])
  );
}

export function desiredLambdaNotification(stack: Stack): LambdaFunctionConfiguration {
  return {
    Id: stack.notification.id,
    LambdaFunctionArn: stack.arns.function,
    Events: [...stack.notification.events] as LambdaFunctionConfiguration["Events"],
    Filter: { Key: { FilterRules: [{ Name: "prefix", Value: stack.notification.prefix }] } },
  };
}

/** A notification configuration belongs to the stack when it has our Id or targets our function. */
export function isOurNotification(config: LambdaFunctionConfiguration, stack: Stack): boolean {
  return config.Id === stack.notification.id || config.LambdaFunctionArn === stack.arns.function;
}
