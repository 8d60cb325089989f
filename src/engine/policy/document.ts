import { MalformedPolicyDocumentError } from "./errors.ts";

/**
 * IAM policy documents: their shape, and the validation IAM applies before it stores one
 * (`MalformedPolicyDocument`). Evaluation lives in evaluate.ts.
 */

type StringOrList = string | string[];
export type ConditionValue = string | number | boolean;
/** `{ "StringEquals": { "aws:SourceAccount": "000000000000" } }` */
export type ConditionBlock = Record<string, Record<string, ConditionValue | ConditionValue[]>>;
/** `"*"` or `{ "Service": "s3.amazonaws.com" }`, `{ "AWS": ["arn:...", "123456789012"] }`. */
export type PrincipalValue = "*" | Record<string, StringOrList>;

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: StringOrList;
  NotAction?: StringOrList;
  Resource?: StringOrList;
  NotResource?: StringOrList;
  Principal?: PrincipalValue;
  NotPrincipal?: PrincipalValue;
  Condition?: ConditionBlock;
}

/** A parsed policy; `Statement` is always a list here, whatever the JSON said. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** Which grammar applies: identity policies need Resource and forbid Principal; trust and resource policies need Principal. */
export type PolicyKind = "identity" | "trust" | "resource";

const documentKeys = new Set(["Version", "Id", "Statement"]);
const statementKeys = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);
const principalKeys = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const versions = new Set(["2012-10-17", "2008-10-17"]);

/** Condition operators IAM accepts (before `ForAnyValue:`/`ForAllValues:` and `IfExists`). */
const conditionOperators = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
]);

/** An operator name split into its parts: `ForAllValues:StringLikeIfExists` → set, base, ifExists. */
export interface ParsedOperator {
  set: "ForAnyValue" | "ForAllValues" | undefined;
  base: string;
  ifExists: boolean;
}

/** Splits a condition operator name; undefined when IAM would not accept it. */
export function parseConditionOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: ParsedOperator["set"];
  if (rest.startsWith("ForAnyValue:")) {
    set = "ForAnyValue";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "ForAllValues";
    rest = rest.slice("ForAllValues:".length);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists")) {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!conditionOperators.has(rest) || (rest === "Null" && (ifExists || set))) return undefined;
  return { set, base: rest, ifExists };
}

/** Turns a string-or-list policy field into a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Stored policies parsed, by kind and text; cleared when full, so texts replaced long ago are not kept for ever. */
const storedPolicies = new Map<string, PolicyDocument>();
const STORED_POLICIES_KEPT = 1024;

/** How many parsed policies are kept (at most 1,024). */
export function storedPoliciesKept(): number {
  return storedPolicies.size;
}

/**
 * A stored policy's text, parsed once while it is among the last {@link STORED_POLICIES_KEPT} parsed (a role's
 * policies on every authorization, a resource's policy): a client replacing a policy in a loop leaves nothing behind.
 *
 * @throws MalformedPolicyDocumentError as parsePolicyDocument does (a failure is not kept).
 */
export function storedPolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  const key = `${kind}\n${text}`;
  let parsed = storedPolicies.get(key);
  if (!parsed) {
    parsed = parsePolicyDocument(text, kind);
    if (storedPolicies.size >= STORED_POLICIES_KEPT) storedPolicies.clear();
    storedPolicies.set(key, parsed);
  }
  return parsed;
}

/**
 * Parses and validates a policy document the way IAM does before storing it.
 *
 * @throws MalformedPolicyDocumentError with an IAM-like message.
 * @example
 * parsePolicyDocument('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}', "identity")
 */
export function parsePolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MalformedPolicyDocumentError("Syntax errors in policy.", { cause });
  }
  if (!isObject(parsed)) throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  for (const key of Object.keys(parsed)) {
    if (!documentKeys.has(key))
      throw new MalformedPolicyDocumentError(`Syntax errors in policy. Unknown field ${key}`);
  }
  const version = parsed.Version;
  if (version !== undefined && (typeof version !== "string" || !versions.has(version))) {
    throw new MalformedPolicyDocumentError("The policy must contain a valid version string");
  }
  if (parsed.Id !== undefined && typeof parsed.Id !== "string")
    throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  if (parsed.Statement === undefined)
    throw new MalformedPolicyDocumentError("Missing required field Statement");
  const statements = asList(parsed.Statement as unknown);
  return {
    ...(version === undefined ? {} : { Version: version }),
    ...(parsed.Id === undefined ? {} : { Id: parsed.Id as string }),
    Statement: statements.map((statement) => validateStatement(statement, kind)),
  };
}

/**
 * The stricter grammar IAM applies when a policy is written (CreatePolicy, PutRolePolicy, CreateRole,
 * UpdateAssumeRolePolicy), on top of `parsePolicyDocument`: a statement list and its Action/Resource lists are
 * not empty, Sids are unique, an action has one colon and a plain vendor, and an identity policy is written in
 * the 2012-10-17 language. Documents already stored are read with `parsePolicyDocument` only, so a store written
 * before these checks still loads. The messages are IAM's, as moto records them (getmoto/moto
 * `moto/iam/policy_validation.py`); the Version rule follows IAM's "IAM JSON policy elements: Version" page.
 *
 * @throws MalformedPolicyDocumentError
 */
export function parseNewPolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  const document = parsePolicyDocument(text, kind);
  if (document.Statement.length === 0) throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  if (kind === "identity" && document.Version !== "2012-10-17") {
    throw new MalformedPolicyDocumentError("Policy document must be version 2012-10-17 or greater.");
  }
  const sids = new Set<string>();
  for (const statement of document.Statement) {
    if (statement.Sid) {
      if (sids.has(statement.Sid)) {
        throw new MalformedPolicyDocumentError("Statement IDs (SID) in a single policy must be unique.");
      }
      sids.add(statement.Sid);
    }
  }
  for (const statement of document.Statement) {
    if (asList(statement.Action ?? statement.NotAction).length === 0) {
      throw new MalformedPolicyDocumentError("Policy statement must contain actions.");
    }
    if (kind === "identity" && asList(statement.Resource ?? statement.NotResource).length === 0) {
      throw new MalformedPolicyDocumentError("Policy statement must contain resources.");
    }
  }
  for (const statement of document.Statement) {
    for (const action of asList(statement.Action ?? statement.NotAction)) checkActionVendor(action);
  }
  return document;
}

function checkActionVendor(action: string): void {
  const [vendor = "", ...rest] = action.split(":");
  if (rest.length > 1)
    throw new MalformedPolicyDocumentError("Actions/Condition can contain only one colon.");
  if (vendor !== "*" && /[^a-zA-Z0-9\-.]/.test(vendor)) {
    throw new MalformedPolicyDocumentError(`Vendor ${vendor} is not valid`);
  }
}

function validateStatement(raw: unknown, kind: PolicyKind): PolicyStatement {
  if (!isObject(raw)) throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  for (const key of Object.keys(raw)) {
    if (!statementKeys.has(key))
      throw new MalformedPolicyDocumentError(`Syntax errors in policy. Unknown field ${key}`);
  }
  if (raw.Sid !== undefined && typeof raw.Sid !== "string")
    throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") {
    throw new MalformedPolicyDocumentError(`Invalid effect: ${String(raw.Effect)}`);
  }
  if (raw.Action !== undefined && raw.NotAction !== undefined) {
    throw new MalformedPolicyDocumentError(
      "Syntax errors in policy. A statement cannot have both Action and NotAction",
    );
  }
  if (raw.Action === undefined && raw.NotAction === undefined) {
    throw new MalformedPolicyDocumentError("Policy statement must contain actions.");
  }
  for (const action of stringList(raw.Action ?? raw.NotAction)) {
    if (action !== "*" && !/^[^:\s]+:\S*$/.test(action)) {
      throw new MalformedPolicyDocumentError(
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
      );
    }
  }
  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    throw new MalformedPolicyDocumentError(
      "Syntax errors in policy. A statement cannot have both Resource and NotResource",
    );
  }
  const resources = raw.Resource ?? raw.NotResource;
  if (kind === "trust" && resources !== undefined)
    throw new MalformedPolicyDocumentError("Has prohibited field Resource");
  if (kind === "identity" && resources === undefined) {
    throw new MalformedPolicyDocumentError("Policy statement must contain resources.");
  }
  for (const resource of stringList(resources)) {
    if (resource !== "*" && !resource.startsWith("arn:")) {
      throw new MalformedPolicyDocumentError(`Resource ${resource} must be in ARN format or "*".`);
    }
  }
  const principal = raw.Principal ?? raw.NotPrincipal;
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) {
    throw new MalformedPolicyDocumentError(
      "Syntax errors in policy. A statement cannot have both Principal and NotPrincipal",
    );
  }
  if (kind === "identity" && principal !== undefined) {
    throw new MalformedPolicyDocumentError("Policy document should not specify a principal.");
  }
  if (kind !== "identity" && principal === undefined)
    throw new MalformedPolicyDocumentError("Missing required field Principal");
  if (principal !== undefined) validatePrincipal(principal);
  if (raw.Condition !== undefined) validateCondition(raw.Condition);
  return raw as unknown as PolicyStatement;
}

function validatePrincipal(principal: unknown): void {
  if (principal === "*") return;
  if (!isObject(principal)) throw new MalformedPolicyDocumentError("Invalid principal in policy");
  for (const [type, values] of Object.entries(principal)) {
    if (!principalKeys.has(type))
      throw new MalformedPolicyDocumentError(`Invalid principal in policy: "${type}"`);
    const list = stringList(values);
    if (list.length === 0) throw new MalformedPolicyDocumentError("Invalid principal in policy");
  }
}

function validateCondition(condition: unknown): void {
  if (!isObject(condition)) throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  for (const [operator, entries] of Object.entries(condition)) {
    if (!parseConditionOperator(operator))
      throw new MalformedPolicyDocumentError(`Invalid Condition type : ${operator}`);
    if (!isObject(entries)) throw new MalformedPolicyDocumentError("Syntax errors in policy.");
    for (const [key, value] of Object.entries(entries)) {
      if (!/^[A-Za-z0-9-]+:.+/.test(key)) {
        throw new MalformedPolicyDocumentError(
          "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        );
      }
      for (const item of asList(value)) {
        if (!["string", "number", "boolean"].includes(typeof item)) {
          throw new MalformedPolicyDocumentError("Syntax errors in policy.");
        }
      }
    }
  }
}

/** A field that must be a string or a list of strings. */
function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (!list.every((item): item is string => typeof item === "string")) {
    throw new MalformedPolicyDocumentError("Syntax errors in policy.");
  }
  return list;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
