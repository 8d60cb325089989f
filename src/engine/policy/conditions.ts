import type { ConditionContext } from "../types.ts";
import { iamWildcard, wildcardMatch } from "../wildcard.ts";
import {
  asList,
  type ConditionBlock,
  type ConditionValue,
  type ParsedOperator,
  parseConditionOperator,
} from "./document.ts";

/**
 * IAM `Condition` evaluation. Keys inside a block are ANDed, values of one key ORed, key names compare
 * case-insensitively. A key missing from the request makes a positive operator false and a negated one
 * (`StringNotEquals`, `ArnNotLike`, ...) true; `...IfExists` makes any operator true; `ForAllValues:` is
 * true and `ForAnyValue:` false on a missing or empty set.
 */

interface Comparison {
  /** Negated operators are true when no policy value matches. */
  negated: boolean;
  matches(policyValue: string, requestValue: string): boolean;
}

const comparisons: Record<string, Comparison> = {
  StringEquals: { negated: false, matches: (p, r) => p === r },
  StringNotEquals: { negated: true, matches: (p, r) => p === r },
  StringEqualsIgnoreCase: { negated: false, matches: (p, r) => p.toLowerCase() === r.toLowerCase() },
  StringNotEqualsIgnoreCase: { negated: true, matches: (p, r) => p.toLowerCase() === r.toLowerCase() },
  StringLike: { negated: false, matches: (p, r) => wildcardMatch(p, r, iamWildcard) },
  StringNotLike: { negated: true, matches: (p, r) => wildcardMatch(p, r, iamWildcard) },
  ArnEquals: { negated: false, matches: arnMatch },
  ArnLike: { negated: false, matches: arnMatch },
  ArnNotEquals: { negated: true, matches: arnMatch },
  ArnNotLike: { negated: true, matches: arnMatch },
  Bool: { negated: false, matches: (p, r) => p.toLowerCase() === r.toLowerCase() },
  BinaryEquals: { negated: false, matches: (p, r) => p === r },
  NumericEquals: { negated: false, matches: numeric((r, p) => r === p) },
  NumericNotEquals: { negated: true, matches: numeric((r, p) => r === p) },
  NumericLessThan: { negated: false, matches: numeric((r, p) => r < p) },
  NumericLessThanEquals: { negated: false, matches: numeric((r, p) => r <= p) },
  NumericGreaterThan: { negated: false, matches: numeric((r, p) => r > p) },
  NumericGreaterThanEquals: { negated: false, matches: numeric((r, p) => r >= p) },
  DateEquals: { negated: false, matches: date((r, p) => r === p) },
  DateNotEquals: { negated: true, matches: date((r, p) => r === p) },
  DateLessThan: { negated: false, matches: date((r, p) => r < p) },
  DateLessThanEquals: { negated: false, matches: date((r, p) => r <= p) },
  DateGreaterThan: { negated: false, matches: date((r, p) => r > p) },
  DateGreaterThanEquals: { negated: false, matches: date((r, p) => r >= p) },
  IpAddress: { negated: false, matches: ipMatch },
  NotIpAddress: { negated: true, matches: ipMatch },
};

/** Whether a statement's `Condition` block holds for the request; an absent block always holds. */
export function conditionsMatch(block: ConditionBlock | undefined, context: ConditionContext): boolean {
  if (!block) return true;
  for (const [operatorName, entries] of Object.entries(block)) {
    const operator = parseConditionOperator(operatorName);
    // Unknown operators cannot be stored through IAM; fail closed if one arrives another way.
    if (!operator) return false;
    for (const [key, values] of Object.entries(entries)) {
      const policyValues = asList<ConditionValue>(values).map(String);
      if (!keyMatches(operator, policyValues, lookup(context, key))) return false;
    }
  }
  return true;
}

function keyMatches(
  operator: ParsedOperator,
  policyValues: string[],
  requestValue: string | string[] | undefined,
): boolean {
  const requestValues = requestValue === undefined ? [] : asList(requestValue);
  if (operator.base === "Null") {
    const absent = requestValues.length === 0;
    return policyValues.some((value) => (value.toLowerCase() === "true") === absent);
  }
  const comparison = comparisons[operator.base];
  if (!comparison) return false;
  if (requestValues.length === 0) {
    if (operator.ifExists) return true;
    if (operator.set === "ForAllValues") return true;
    if (operator.set === "ForAnyValue") return false;
    return comparison.negated;
  }
  // For a negated operator a request value "matches" when it equals none of the policy values.
  const valueMatches = (requestItem: string) => {
    const any = policyValues.some((policyValue) => comparison.matches(policyValue, requestItem));
    return comparison.negated ? !any : any;
  };
  if (operator.set === "ForAllValues") return requestValues.every(valueMatches);
  if (operator.set === "ForAnyValue") return requestValues.some(valueMatches);
  // Without a set operator a negated test must hold for every value, a positive one for any.
  return comparison.negated ? requestValues.every(valueMatches) : requestValues.some(valueMatches);
}

/** Condition keys are case-insensitive (`aws:SourceArn` = `aws:sourcearn`). */
function lookup(context: ConditionContext, key: string): string | string[] | undefined {
  const exact = context[key];
  if (exact !== undefined) return exact;
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === lower) return value;
  }
  return undefined;
}

/**
 * `ArnLike`/`ArnEquals`: the six colon-separated parts are compared one by one, each with wildcards;
 * the last part (the resource) keeps any further colons.
 */
function arnMatch(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  const patternParts = splitArn(pattern);
  const valueParts = splitArn(value);
  if (!patternParts || !valueParts) return false;
  return patternParts.every((part, index) => wildcardMatch(part, valueParts[index] ?? "", iamWildcard));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

function numeric(compare: (request: number, policy: number) => boolean): (p: string, r: string) => boolean {
  return (policyValue, requestValue) => {
    const policy = Number(policyValue);
    const request = Number(requestValue);
    return (
      !Number.isNaN(policy) && !Number.isNaN(request) && policyValue.trim() !== "" && compare(request, policy)
    );
  };
}

function date(compare: (request: number, policy: number) => boolean): (p: string, r: string) => boolean {
  return (policyValue, requestValue) => {
    const policy = toEpochMillis(policyValue);
    const request = toEpochMillis(requestValue);
    return policy !== undefined && request !== undefined && compare(request, policy);
  };
}

/** IAM dates are ISO 8601 or epoch seconds (`aws:EpochTime`). */
function toEpochMillis(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** IPv4 CIDR (or exact address) match; IPv6 addresses compare literally. */
function ipMatch(policyValue: string, requestValue: string): boolean {
  const [network = "", bitsText] = policyValue.split("/");
  const networkNumber = ipv4ToNumber(network);
  const requestNumber = ipv4ToNumber(requestValue);
  if (networkNumber === undefined || requestNumber === undefined) return policyValue === requestValue;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (networkNumber & mask) >>> 0 === (requestNumber & mask) >>> 0;
}

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let result = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    result = result * 256 + Number(part);
  }
  return result;
}
