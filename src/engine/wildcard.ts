/**
 * The one wildcard matcher of the engine: `*` matches any run of characters (including none, and including `:`
 * and `/`). IAM policies also take `?` for exactly one character; Logs filter patterns and S3 CORS rules do not
 * (`?` is literal there). Everything else is literal.
 *
 * S3 CORS allows at most one `*` in an `AllowedOrigin`, which `s3/cors.ts` checks when the configuration is put;
 * matching is the same.
 */

export interface WildcardOptions {
  /** Compare case-insensitively (IAM actions, HTTP header names). */
  ignoreCase?: boolean;
  /** `?` matches exactly one character (IAM); otherwise it is literal. */
  questionMark?: boolean;
}

const compiled = new Map<string, RegExp>();
const maxCached = 2048;

/**
 * Whether `value` matches the wildcard `pattern`.
 *
 * @example
 * wildcardMatch("s3:Get*", "s3:getobject", { ignoreCase: true, questionMark: true }) // true
 * wildcardMatch("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b") // true
 * wildcardMatch("a?c", "abc") // false: without `questionMark`, `?` is literal
 */
export function wildcardMatch(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  const { ignoreCase = false, questionMark = false } = options;
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !(questionMark && pattern.includes("?"))) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return toRegExp(pattern, ignoreCase, questionMark).test(value);
}

function toRegExp(pattern: string, ignoreCase: boolean, questionMark: boolean): RegExp {
  const key = `${ignoreCase ? "i" : "s"}${questionMark ? "q" : "l"}${pattern}`;
  let regexp = compiled.get(key);
  if (!regexp) {
    let source = "";
    for (const char of pattern) {
      if (char === "*") source += "[\\s\\S]*";
      else if (char === "?" && questionMark) source += "[\\s\\S]";
      else source += char.replace(/[\\^$.|?+()[\]{}]/g, "\\$&");
    }
    regexp = new RegExp(`^${source}$`, ignoreCase ? "iu" : "u");
    // Patterns are few (policies, filters, CORS rules); the cap only guards against unbounded growth from
    // hostile input.
    if (compiled.size >= maxCached) compiled.clear();
    compiled.set(key, regexp);
  }
  return regexp;
}

/** IAM's resources and condition values: `*` and `?`, case-sensitive. */
export const iamWildcard: WildcardOptions = { questionMark: true };
/** IAM's actions: `*` and `?`, case-insensitive. */
export const iamActionWildcard: WildcardOptions = { questionMark: true, ignoreCase: true };
