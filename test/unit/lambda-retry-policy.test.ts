import { describe, expect, it } from "vitest";
import { nextRetryDelay } from "../../src/engine/lambda/async-queue.ts";

describe("Function: nextRetryDelay", () => {
  const policy = { maxRetries: 2, baseDelayMs: 200 };

  it.each([
    [1, 200],
    [2, 400],
  ])("waits %i attempt(s) in with %i ms, doubling", (failedAttempts, delay) => {
    // Act
    const result = nextRetryDelay(failedAttempts, policy);

    // Assess
    expect(result).toBe(delay);
  });

  it("gives up after the first attempt plus maxRetries retries", () => {
    // Act
    const result = nextRetryDelay(3, policy);

    // Assess
    expect(result).toBeUndefined();
  });

  it("never retries when maxRetries is 0", () => {
    // Act
    const result = nextRetryDelay(1, { maxRetries: 0, baseDelayMs: 200 });

    // Assess
    expect(result).toBeUndefined();
  });

  it("follows a longer schedule when asked to", () => {
    // Act
    const delays = [1, 2, 3, 4, 5].map((attempt) =>
      nextRetryDelay(attempt, { maxRetries: 4, baseDelayMs: 10 }),
    );

    // Assess
    expect(delays).toEqual([10, 20, 40, 80, undefined]);
  });
});
