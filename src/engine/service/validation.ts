import type * as z from "zod";
import { constraint, type Violation, validationMessages } from "../validation-message.ts";

/**
 * Validates an operation's input against its zod schema and words what fails as AWS does ("N validation
 * errors detected: ..."): each zod issue becomes AWS's constraint text (a missing member is "must not be null",
 * a short string "must have length greater than or equal to N", a regex "must satisfy regular expression
 * pattern", an enum "must satisfy enum value set"). A schema's own message (`{ error: constraint.between(1, 50) }`)
 * wins over the derived one.
 */
export type Validation<T> =
  | { ok: true; value: T }
  | { ok: false; message: string; issues: InputIssue[] }
  | { ok: false; unsupported: string[] };

/**
 * One failed member, for a service that words its validation errors its own way (SQS: `MissingParameter`
 * naming the member as sent): its path as in the input, whether it was absent, the value the failing check
 * saw and the constraint text (the schema's own message when it has one).
 */
export interface InputIssue {
  path: readonly (string | number)[];
  missing: boolean;
  value: unknown;
  message: string;
}

/**
 * Members an object schema does not declare. zod drops them silently, which would make the engine accept a
 * parameter and do nothing with it (a session `Policy` on AssumeRole, a `PermissionsBoundary` on CreateRole):
 * they are refused instead, by name.
 */
function undeclaredMembers(schema: z.ZodType, input: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (shape === undefined || input === null || typeof input !== "object" || Array.isArray(input)) return [];
  return Object.keys(input).filter((member) => !Object.hasOwn(shape, member));
}

/**
 * How every input is parsed: issues worded as AWS words them, each with the value it saw. One object for every
 * call, not a literal with an arrow made per request: run from source, tsx names every such closure as it is made.
 */
const parseOptions = {
  error: awsConstraint,
  reportInput: true,
} satisfies z.core.ParseContext<z.core.$ZodIssue>;

export function validateInput<T>(schema: z.ZodType<T>, input: unknown): Validation<T> {
  const unsupported = undeclaredMembers(schema, input);
  if (unsupported.length > 0) return { ok: false, unsupported };
  const result = schema.safeParse(input, parseOptions);
  if (result.success) return { ok: true, value: result.data };
  const issues: InputIssue[] = result.error.issues.map((issue) => {
    // The value the failing check saw (after a preprocess), else the one in the input.
    const value = "input" in issue ? issue.input : valueAt(input, issue.path);
    return {
      path: issue.path.map((segment) => (typeof segment === "number" ? segment : String(segment))),
      // JSON has no undefined, and the query decoder writes none: an undefined value is an absent member.
      missing: value === undefined,
      value,
      message: issue.message,
    };
  });
  const violations: Violation[] = issues.map((issue) => ({
    member: memberName(issue.path),
    value: issue.value === undefined ? null : echoed(issue.value),
    constraint: issue.message,
  }));
  return { ok: false, message: validationMessages(violations), issues };
}

/** AWS names members lower-camel (`roleSessionName`) and list items 1-based. */
function memberName(path: readonly PropertyKey[]): string {
  return path
    .map((segment) =>
      typeof segment === "number"
        ? String(segment + 1)
        : String(segment).charAt(0).toLowerCase() + String(segment).slice(1),
    )
    .join(".");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** Scalars are quoted in the message; AWS leaves lists and structures out (`Value at '...'`). */
function echoed(value: unknown): string | number | undefined {
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "boolean") return String(value);
  return undefined;
}

interface RawIssue {
  code?: string;
  input?: unknown;
  origin?: string;
  minimum?: unknown;
  maximum?: unknown;
  format?: string;
  pattern?: RegExp | string;
  values?: readonly unknown[];
  expected?: string;
  message?: string;
}

/** The constraint text for one zod issue, or undefined to keep zod's (custom refinements carry their own). */
function awsConstraint(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? constraint.notNull : `Member must be of type ${issue.expected}`;
    case "too_small":
      return issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint"
        ? constraint.atLeast(Number(issue.minimum))
        : constraint.minLength(Number(issue.minimum));
    case "too_big":
      return issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint"
        ? constraint.atMost(Number(issue.maximum))
        : constraint.maxLength(Number(issue.maximum));
    case "invalid_format":
      return issue.format === "regex" && issue.pattern !== undefined
        ? constraint.pattern(patternSource(issue.pattern))
        : undefined;
    case "invalid_value":
      return constraint.enumOf((issue.values ?? []).map((value) => String(value)));
    default:
      return undefined;
  }
}

/** Zod hands the regex over as `/source/flags`; AWS writes the source alone. */
function patternSource(pattern: RegExp | string): string {
  if (typeof pattern !== "string") return pattern.source;
  return /^\/(.*)\/[a-z]*$/s.exec(pattern)?.[1] ?? pattern;
}
