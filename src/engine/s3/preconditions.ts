/** Conditional request headers as they apply to one object. */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** What a conditional GET/HEAD should do. */
export type PreconditionOutcome = "proceed" | "not-modified" | "failed";

/** Whether an `If-Match` / `If-None-Match` list (`"a", "b"` or `*`) names this ETag. */
function etagMatches(list: string, etag: string): boolean {
  return list
    .split(",")
    .map((item) => item.trim().replace(/^W\//, "").replace(/^"|"$/g, ""))
    .some((item) => item === "*" || item === etag);
}

/** A date's whole seconds since the epoch; undefined for a date that does not parse. */
function wholeSeconds(date: string): number | undefined {
  const parsed = Date.parse(date);
  return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
}

/**
 * An object's Last-Modified in whole seconds: computed only when a date condition asks, as most reads carry none
 * and Date.parse is a measurable part of a GET.
 */
function modifiedSeconds(lastModified: string): number {
  return Math.floor(Date.parse(lastModified) / 1000);
}

/**
 * Evaluates conditional headers in S3's order: If-Match failing is 412; If-Unmodified-Since counts only
 * without If-Match; If-None-Match matching is 304; If-Modified-Since counts only without If-None-Match.
 * Dates compare at whole seconds, the precision of Last-Modified.
 */
export function evaluatePreconditions(
  conditions: Preconditions,
  etag: string,
  lastModified: string,
): PreconditionOutcome {
  if (conditions.ifMatch !== undefined) {
    if (!etagMatches(conditions.ifMatch, etag)) return "failed";
  } else if (conditions.ifUnmodifiedSince !== undefined) {
    const limit = wholeSeconds(conditions.ifUnmodifiedSince);
    if (limit !== undefined && modifiedSeconds(lastModified) > limit) return "failed";
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagMatches(conditions.ifNoneMatch, etag)) return "not-modified";
  } else if (conditions.ifModifiedSince !== undefined) {
    const limit = wholeSeconds(conditions.ifModifiedSince);
    if (limit !== undefined && modifiedSeconds(lastModified) <= limit) return "not-modified";
  }
  return "proceed";
}
