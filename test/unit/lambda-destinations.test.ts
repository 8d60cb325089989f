import { describe, expect, it } from "vitest";
import type { AsyncOutcome } from "../../src/engine/lambda/async-queue.ts";
import { outcomeDeliveries } from "../../src/engine/lambda/destinations.ts";
import type { FunctionRecord } from "../../src/engine/lambda/functions.ts";

const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:fn";
const onFailure = "arn:aws:sqs:us-east-1:000000000000:failures";
const onSuccess = "arn:aws:sqs:us-east-1:000000000000:successes";
const deadLetters = "arn:aws:sqs:us-east-1:000000000000:dlq";
const now = new Date("2026-11-29T23:50:00.000Z");

/** The parts of a function record destinations read. */
function functionWith(settings: Partial<FunctionRecord>): FunctionRecord {
  return {
    name: "fn",
    arn: functionArn,
    role: "arn:aws:iam::000000000000:role/r",
    ...settings,
  } as FunctionRecord;
}

const failed: AsyncOutcome = {
  condition: "RetriesExhausted",
  functionName: "fn",
  requestId: "req-1",
  payload: '{"k":1}',
  attempts: 3,
  response: { ok: false, error: { errorType: "Error", errorMessage: "boom" } },
};

describe("Function: outcomeDeliveries", () => {
  it("sends a failure's record to the on-failure destination and its payload to the dead-letter queue", () => {
    // Prepare
    const record = functionWith({
      eventInvokeConfig: { onFailure, onSuccess, lastModified: 0 },
      deadLetterTargetArn: deadLetters,
    });

    // Act
    const deliveries = outcomeDeliveries(record, failed, now);

    // Assess
    expect(deliveries.map(({ role, destinationArn }) => [role, destinationArn])).toEqual([
      ["on-failure", onFailure],
      ["dead-letter", deadLetters],
    ]);
    expect(JSON.parse(deliveries[0]?.message.body ?? "{}")).toMatchObject({
      timestamp: "2026-11-29T23:50:00.000Z",
      requestContext: { requestId: "req-1", condition: "RetriesExhausted", approximateInvokeCount: 3 },
    });
    expect(deliveries[1]?.message.body).toBe('{"k":1}');
    expect(deliveries[1]?.message.attributes?.ErrorMessage?.StringValue).toBe("boom");
  });

  it("sends a success to the on-success destination only, and nothing without a configuration", () => {
    // Prepare
    const success: AsyncOutcome = {
      ...failed,
      condition: "Success",
      attempts: 1,
      response: { ok: true, payload: "1" },
    };
    const configured = functionWith({
      eventInvokeConfig: { onFailure, onSuccess, lastModified: 0 },
      deadLetterTargetArn: deadLetters,
    });

    // Act
    const deliveries = outcomeDeliveries(configured, success, now);
    const none = outcomeDeliveries(functionWith({}), failed, now);

    // Assess
    expect(deliveries.map(({ role, destinationArn }) => [role, destinationArn])).toEqual([
      ["on-success", onSuccess],
    ]);
    expect(none).toEqual([]);
  });
});
