import { describe, expect, it } from "vitest";
import { isNotFoundError } from "../../src/aws/errors.ts";

/** An SDK v3 service error as the clients throw it: an Error whose name is the AWS error code. */
function sdkError(name: string): Error {
  const error = new Error(`${name} from the service`);
  error.name = name;
  return error;
}

describe("Function: isNotFoundError", () => {
  it("recognises each service's 'does not exist' answer", () => {
    // Prepare
    const names = ["ResourceNotFoundException", "NotFound", "NoSuchBucket", "NoSuchKey", "NoSuchEntity"];

    // Act
    const verdicts = names.map((name) => isNotFoundError(sdkError(name)));

    // Assess
    expect(verdicts).toEqual([true, true, true, true, true]);
  });

  it("is false for other errors and for values that are not errors", () => {
    // Act
    const denied = isNotFoundError(sdkError("AccessDenied"));
    const text = isNotFoundError("NoSuchKey");

    // Assess
    expect(denied).toBe(false);
    expect(text).toBe(false);
  });
});
