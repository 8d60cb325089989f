/**
 * IAM wildcard matching: `*` matches any run of characters (including none, and including `:` and `/`),
 * `?` matches exactly one character. Everything else is literal.
 */

const compiled = new Map<string, RegExp>();
const maxCached = 2048;

/**
 * Whether `value` matches the IAM wildcard `pattern`.
 *
 * @example
 * wildcardMatch("s3:Get*", "s3:getobject", true) // true: actions compare case-insensitively
 * wildcardMatch("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b") // true
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return toRegExp(pattern, ignoreCase).test(value);
}

function toRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let regexp = compiled.get(key);
  if (!regexp) {
    let source = "";
    for (const char of pattern) {
      if (char === "*") source += "[\\s\\S]*";
      else if (char === "?") source += "[\\s\\S]";
      else source += char.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
    }
    regexp = new RegExp(`^${source}$`, ignoreCase ? "iu" : "u");
    // Policies are few; the cap only guards against unbounded growth from hostile input.
    if (compiled.size >= maxCached) compiled.clear();
    compiled.set(key, regexp);
  }
  return regexp;
}
