/**
 * The one writer of AWS's input-validation message, which every service's validation error carries (each service
 * wraps it in its own error type: `InvalidParameterValueException`, `ValidationError`, ...):
 * `1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint: <constraint>`.
 *
 * @example validationMessage("limit", "0", constraint.between(1, 50))
 * // "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"
 */

/**
 * `value` is quoted as given; `null` writes `Value null` (a required member is missing) and `undefined` writes
 * `Value at` (AWS leaves out values it does not echo, such as long texts and lists). Without `constraint` the
 * message ends at "failed to satisfy constraint", as AWS's does for some members.
 */
export function validationMessage(
  member: string,
  value: string | number | null | undefined,
  constraintText?: string,
): string {
  return validationMessages([{ member, value, constraint: constraintText }]);
}

/** One member that failed its constraint; `value` and `constraint` as for `validationMessage`. */
export interface Violation {
  member: string;
  value: string | number | null | undefined;
  constraint?: string | undefined;
}

/**
 * AWS's message for several violations at once, in input order:
 * `2 validation errors detected: Value null at 'a' failed to satisfy constraint: ...; Value 'x' at 'b' ...`.
 */
export function validationMessages(violations: readonly Violation[]): string {
  const count = violations.length;
  const parts = violations.map(({ member, value, constraint: text }) => {
    const quoted = value === undefined ? "Value" : value === null ? "Value null" : `Value '${value}'`;
    const tail = text === undefined ? "" : `: ${text}`;
    return `${quoted} at '${member}' failed to satisfy constraint${tail}`;
  });
  return `${count} validation error${count === 1 ? "" : "s"} detected: ${parts.join("; ")}`;
}

/** The constraint texts AWS writes after "failed to satisfy constraint: ". */
export const constraint = {
  notNull: "Member must not be null",
  pattern: (pattern: string): string => `Member must satisfy regular expression pattern: ${pattern}`,
  enumOf: (values: readonly (string | number)[]): string =>
    `Member must satisfy enum value set: [${values.join(", ")}]`,
  between: (min: number, max: number): string => `Member must have value between ${min} and ${max}`,
  minLength: (min: number): string => `Member must have length greater than or equal to ${min}`,
  maxLength: (max: number): string => `Member must have length less than or equal to ${max}`,
  atLeast: (min: number): string => `Member must have value greater than or equal to ${min}`,
  atMost: (max: number): string => `Member must have value less than or equal to ${max}`,
} as const;
