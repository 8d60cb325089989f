import { describe, expect, it } from "vitest";
import { constraint, validationMessage } from "../../src/engine/validation-message.ts";

describe("Function: validationMessage", () => {
  it("quotes a value and appends the constraint, as AWS writes it", () => {
    // Act
    const message = validationMessage("limit", 0, constraint.between(1, 50));

    // Assess
    expect(message).toBe(
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50",
    );
  });

  it("writes `Value null` for a missing member and `Value at` for a value AWS does not echo", () => {
    // Act
    const missing = validationMessage("role", null, constraint.notNull);
    const unechoed = validationMessage("logEvents", undefined, constraint.maxLength(10000));

    // Assess
    expect(missing).toBe(
      "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
    );
    expect(unechoed).toBe(
      "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000",
    );
  });

  it("ends at 'failed to satisfy constraint' when no constraint is given, and lists enum values", () => {
    // Act
    const bare = validationMessage("handler", "x y");
    const enumerated = validationMessage("scope", "Nope", constraint.enumOf(["All", "AWS", "Local"]));

    // Assess
    expect(bare).toBe("1 validation error detected: Value 'x y' at 'handler' failed to satisfy constraint");
    expect(enumerated).toBe(
      "1 validation error detected: Value 'Nope' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
    );
  });

  it("writes regular expressions and length bounds verbatim", () => {
    // Act
    const pattern = validationMessage("logStreamName", "a:b", constraint.pattern("[^:*]*"));
    const length = validationMessage("roleArn", "short", constraint.minLength(20));

    // Assess
    expect(pattern).toBe(
      "1 validation error detected: Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*",
    );
    expect(length).toBe(
      "1 validation error detected: Value 'short' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
    );
  });
});
