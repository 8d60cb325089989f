import { randomUUID } from "node:crypto";
import { invalidArgument, malformedXml, S3Error } from "./errors.ts";
import { parseRequestXml, renderXml, xmlChild, xmlChildren, xmlText } from "./xml.ts";

/** S3's limit on rules in one lifecycle configuration (PutBucketLifecycleConfiguration). */
const MAX_LIFECYCLE_RULES = 1000;
/** S3's limit on a rule's ID length. */
const MAX_RULE_ID_LENGTH = 255;

/** The elements a rule's `Filter` may hold, exactly one of them (`And` groups several). */
const filterElements = ["Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"];

const has = (node: Record<string, unknown>, name: string) => node[name] !== undefined;

/** A midnight-UTC ISO 8601 date, as `Date` must be (`2030-01-01T00:00:00Z`, `2030-01-01T00:00:00.000Z`). */
export function isMidnightUtc(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]00:?00)?)?$/.exec(
    text,
  );
  if (!match) return false;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "0"] = match;
  const parsed = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (parsed.getUTCMonth() !== Number(month) - 1 || parsed.getUTCDate() !== Number(day)) return false;
  return hour === "00" && minute === "00" && second === "00" && /^0+$/.test(fraction);
}

function positiveDays(text: string | undefined, message: string, argument: string): void {
  if (text === undefined) return;
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw malformedXml();
  if (Number(trimmed) <= 0) throw invalidArgument(message, argument, trimmed);
}

function checkDate(text: string | undefined): void {
  if (text !== undefined && !isMidnightUtc(text.trim()))
    throw invalidArgument("'Date' must be at midnight GMT", "Date", text.trim());
}

function checkFilter(rule: Record<string, unknown>): void {
  const hasFilter = has(rule, "Filter");
  // A rule selects its objects by the legacy top-level Prefix or by a Filter, never both, never neither.
  if (hasFilter === has(rule, "Prefix")) throw malformedXml();
  if (!hasFilter) return;
  const filter = xmlChild(rule, "Filter");
  const present = filterElements.filter((name) => has(filter, name));
  if (present.length > 1 || Object.keys(filter).some((name) => !filterElements.includes(name)))
    throw malformedXml();
  const and = xmlChild(filter, "And");
  const tags = [...xmlChildren(filter, "Tag"), ...xmlChildren(and, "Tag")];
  const keys = new Set<string>();
  for (const tag of tags) {
    const key = xmlText(tag, "Key");
    if (key === undefined) throw malformedXml();
    if (keys.has(key)) throw new S3Error(400, "InvalidRequest", "Duplicate Tag Keys are not allowed.");
    keys.add(key);
  }
}

function checkActions(rule: Record<string, unknown>): void {
  if (has(rule, "Expiration")) {
    const expiration = xmlChild(rule, "Expiration");
    const set = ["Days", "Date", "ExpiredObjectDeleteMarker"].filter((name) => has(expiration, name));
    if (set.length !== 1) throw malformedXml();
    positiveDays(
      xmlText(expiration, "Days"),
      "'Days' for Expiration action must be a positive integer",
      "Days",
    );
    checkDate(xmlText(expiration, "Date"));
  }
  for (const transition of xmlChildren(rule, "Transition")) {
    if (has(transition, "Days") === has(transition, "Date")) throw malformedXml();
    checkDate(xmlText(transition, "Date"));
  }
  if (has(rule, "NoncurrentVersionExpiration")) {
    const noncurrent = xmlChild(rule, "NoncurrentVersionExpiration");
    if (!has(noncurrent, "NoncurrentDays") && !has(noncurrent, "NewerNoncurrentVersions"))
      throw malformedXml();
    positiveDays(
      xmlText(noncurrent, "NoncurrentDays"),
      "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
      "NoncurrentDays",
    );
  }
  if (has(rule, "AbortIncompleteMultipartUpload")) {
    positiveDays(
      xmlText(xmlChild(rule, "AbortIncompleteMultipartUpload"), "DaysAfterInitiation"),
      "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
      "DaysAfterInitiation",
    );
  }
}

/**
 * Validates a `<LifecycleConfiguration>` document as S3 does and answers the document to store: each rule keeps
 * what was sent, a rule without an `ID` gets one (as S3 assigns one). Refuses, with S3's codes: no rules or more
 * than 1,000, a Status other than Enabled/Disabled, Prefix and Filter together (or neither), a Filter with more
 * than one condition, an Expiration with more than one of Days/Date/ExpiredObjectDeleteMarker (MalformedXML);
 * an ID over 255 characters, two rules with one ID, `Days` not positive, a `Date` not at midnight UTC
 * (InvalidArgument); duplicate tag keys in a filter (InvalidRequest).
 */
export function validateLifecycle(body: Buffer, newId: () => string = randomUUID): string {
  const root = parseRequestXml(body).LifecycleConfiguration;
  if (root === undefined || root === null || typeof root !== "object") throw malformedXml();
  const rules = xmlChildren(root, "Rule");
  if (rules.length === 0 || rules.length > MAX_LIFECYCLE_RULES) throw malformedXml();
  const ids = new Set<string>();
  const stored = rules.map((rule) => {
    const status = xmlText(rule, "Status")?.trim();
    if (status !== "Enabled" && status !== "Disabled") throw malformedXml();
    const given = xmlText(rule, "ID");
    if (given !== undefined && given.length > MAX_RULE_ID_LENGTH)
      throw invalidArgument("ID length should not exceed allowed limit of 255", "ID", given);
    const id = given === undefined || given === "" ? newId() : given;
    if (ids.has(id))
      throw invalidArgument("RuleId must be unique. Found same ID for more than one rule.", "ID", id);
    ids.add(id);
    checkFilter(rule);
    checkActions(rule);
    const { ID: _given, ...rest } = rule;
    return { ID: id, ...rest };
  });
  return renderXml("LifecycleConfiguration", { Rule: stored });
}
