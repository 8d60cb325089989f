import { describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../src/engine/activity.ts";
import {
  AsyncInvocationQueue,
  type AsyncOutcome,
  type AttemptResult,
} from "../../src/engine/lambda/async-queue.ts";

/** Polls until `check` holds, failing after a deadline (no fixed sleeps). */
async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A queue whose attempts follow a script of results, recording what was attempted. */
function scriptedQueue(results: AttemptResult[], maxRetries = 2) {
  const attempts: Array<{ functionName: string; payload: string; requestId: string; at: number }> = [];
  const activity: ActivityEvent[] = [];
  const queue = new AsyncInvocationQueue({
    run: async (functionName, payload, requestId) => {
      attempts.push({ functionName, payload, requestId, at: Date.now() });
      return results[attempts.length - 1] ?? { ok: true };
    },
    policy: { maxRetries, baseDelayMs: 5 },
    activity: (event) => activity.push(event),
  });
  return { queue, attempts, activity };
}

const failure: AttemptResult = {
  ok: false,
  retryable: true,
  error: { errorType: "Error", errorMessage: "nope" },
};

describe("Class: AsyncInvocationQueue", () => {
  describe("Method: enqueue", () => {
    it("runs an event once when it succeeds", async () => {
      // Prepare
      const { queue, attempts } = scriptedQueue([{ ok: true }]);

      // Act
      const requestId = queue.enqueue("fn", '{"a":1}', { requestId: "req-1" });
      await until(() => queue.pending === 0 && attempts.length === 1);

      // Assess
      expect(requestId).toBe("req-1");
      expect(attempts).toMatchObject([{ functionName: "fn", payload: '{"a":1}', requestId: "req-1" }]);
      expect(queue.listFailed()).toEqual([]);
      queue.close();
    });

    it("retries twice with the same request ID and then records a failed event", async () => {
      // Prepare
      const { queue, attempts, activity } = scriptedQueue([failure, failure, failure]);

      // Act
      queue.enqueue("fn", '{"key":"a.jpg"}');
      await until(() => queue.listFailed().length === 1);

      // Assess
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((attempt) => attempt.requestId)).size).toBe(1);
      const [failed] = queue.listFailed();
      expect(failed).toMatchObject({
        functionName: "fn",
        payload: { key: "a.jpg" },
        attempts: 3,
        errorType: "Error",
        errorMessage: "nope",
        requestIds: [attempts[0]?.requestId],
      });
      expect(activity.map((event) => event.kind)).toEqual(["async.retry", "async.retry", "async.failed"]);
      queue.close();
    });

    it("waits longer before each retry", async () => {
      // Prepare
      const { queue, attempts } = scriptedQueue([failure, failure, failure]);

      // Act
      queue.enqueue("fn", "{}");
      await until(() => queue.listFailed().length === 1);

      // Assess
      const [first, second, third] = attempts.map((attempt) => attempt.at);
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(4);
      expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(9);
      queue.close();
    });

    it("does not retry errors marked as not retryable", async () => {
      // Prepare
      const { queue, attempts } = scriptedQueue([{ ...failure, retryable: false }]);

      // Act
      queue.enqueue("gone", "{}");
      await until(() => queue.listFailed().length === 1);

      // Assess
      expect(attempts).toHaveLength(1);
      queue.close();
    });
  });

  describe("Method: redrive", () => {
    it("queues a failed event again with fresh attempts and removes it from the failed list", async () => {
      // Prepare
      const { queue, attempts } = scriptedQueue([failure, { ok: true }], 0);
      queue.enqueue("fn", '{"n":1}');
      await until(() => queue.listFailed().length === 1);
      const [failed] = queue.listFailed();

      // Act
      const redriven = queue.redrive(failed?.id ?? "");
      await until(() => attempts.length === 2 && queue.pending === 0);

      // Assess
      expect(redriven).toBe(true);
      expect(attempts[1]?.payload).toBe('{"n":1}');
      expect(queue.listFailed()).toEqual([]);
      expect(queue.redrive(failed?.id ?? "")).toBe(false);
      queue.close();
    });
  });

  describe("Option: settings and onOutcome (the function's event-invoke configuration)", () => {
    /** A queue with per-function settings, recording each outcome. */
    function configuredQueue(
      results: AttemptResult[],
      settings: { maxRetries?: number; maxEventAgeMs?: number },
    ) {
      const outcomes: AsyncOutcome[] = [];
      let attempts = 0;
      const queue = new AsyncInvocationQueue({
        run: async () => results[attempts++] ?? { ok: true },
        policy: { maxRetries: 2, baseDelayMs: 5 },
        activity: () => undefined,
        settings: () => settings,
        onOutcome: (outcome) => outcomes.push(outcome),
      });
      return { queue, outcomes, attempts: () => attempts };
    }

    it("retries only MaximumRetryAttempts times and reports RetriesExhausted with the last error", async () => {
      // Prepare
      const { queue, outcomes, attempts } = configuredQueue([failure, failure, failure], { maxRetries: 0 });

      // Act
      queue.enqueue("fn", '{"a":1}', { requestId: "req-1" });
      await until(() => outcomes.length === 1);

      // Assess
      expect(attempts()).toBe(1);
      expect(outcomes).toEqual([
        {
          condition: "RetriesExhausted",
          functionName: "fn",
          requestId: "req-1",
          payload: '{"a":1}',
          attempts: 1,
          response: { ok: false, error: { errorType: "Error", errorMessage: "nope" } },
        },
      ]);
      expect(queue.listFailed()).toHaveLength(1);
      queue.close();
    });

    it("reports Success with the function's response", async () => {
      // Prepare
      const { queue, outcomes } = configuredQueue([failure, { ok: true, payload: '"done"' }], {});

      // Act
      queue.enqueue("fn", "{}", { requestId: "req-2" });
      await until(() => outcomes.length === 1);

      // Assess
      expect(outcomes[0]).toMatchObject({
        condition: "Success",
        attempts: 2,
        response: { ok: true, payload: '"done"' },
      });
      expect(queue.listFailed()).toEqual([]);
      queue.close();
    });

    it("gives up on an event older than MaximumEventAgeInSeconds before its next attempt", async () => {
      // Prepare: the first attempt fails, and the retry comes after the event's maximum age.
      const { queue, outcomes, attempts } = configuredQueue([failure, { ok: true }], { maxEventAgeMs: 1 });

      // Act
      queue.enqueue("fn", "{}");
      await until(() => outcomes.length === 1);

      // Assess
      expect(attempts()).toBe(1);
      expect(outcomes[0]).toMatchObject({ condition: "EventAgeExceeded", attempts: 1 });
      expect(queue.listFailed()[0]).toMatchObject({ errorType: "Error", errorMessage: "nope", attempts: 1 });
      queue.close();
    });
  });
});
