import { describe, expect, it } from "vitest";
import { Deliveries } from "../../src/engine/delivery/index.ts";
import { AsyncInvocationQueue, type AsyncOutcome } from "../../src/engine/lambda/async-queue.ts";
import { destinationSender } from "../../src/engine/lambda/destinations.ts";
import type { FunctionRecord } from "../../src/engine/lambda/functions.ts";
import type { QueueSender } from "../../src/engine/sqs/contract.ts";
import { eventually } from "../helpers/poll.ts";

const queueArn = "arn:aws:sqs:us-east-1:000000000000:f-failures";

/** A queue whose every attempt fails, and whose failures go to `onOutcome`. */
function failingQueue(onOutcome: (outcome: AsyncOutcome) => void) {
  return new AsyncInvocationQueue({
    run: async () => ({ ok: false, retryable: false, error: { errorType: "Error", errorMessage: "boom" } }),
    policy: { maxRetries: 0, baseDelayMs: 1 },
    activity: () => {},
    onOutcome,
  });
}

/** The function record fields the destination sender reads. */
const fn = {
  name: "f",
  arn: "arn:aws:lambda:us-east-1:000000000000:function:f",
  role: "arn:aws:iam::000000000000:role/r",
  eventInvokeConfig: { onFailure: queueArn },
} as unknown as FunctionRecord;

/** The delivery module over an in-process SQS stand-in whose sends succeed or fail as told. */
const deliveries = (ok: boolean) => {
  const sqs: Pick<QueueSender, "canSend" | "authorizeSend"> = {
    canSend: () => ({ ok: true }),
    authorizeSend: () =>
      ok
        ? { ok: true, send: async () => ({ ok: true, messageId: "m1" }) }
        : { ok: false, code: "AccessDenied", message: "no" },
  };
  return new Deliveries(() => ({ sqs }));
};

describe("Class: AsyncInvocationQueue with an on-failure destination (one copy of a failed event)", () => {
  it("drops a failed event from the engine's list once its destination holds it", async () => {
    // Prepare
    let queue: AsyncInvocationQueue | undefined;
    queue = failingQueue(
      destinationSender({
        accountId: "000000000000",
        lookup: () => fn,
        deliveries: deliveries(true),
        log: () => {},
        activity: () => {},
        failureDelivered: (outcome) => queue?.handedOff(outcome.requestId),
      }),
    );

    // Act
    const requestId = queue.enqueue("f", "{}");

    // Assess
    await eventually("the hand-off", () =>
      queue?.pending === 0 && queue.listFailed().length === 0 ? true : undefined,
    );
    expect(queue.handedOff(requestId)).toBe(false);
    queue.close();
  });

  it("keeps it when the send to the destination fails (the role may not send)", async () => {
    // Prepare
    const logged: string[] = [];
    let queue: AsyncInvocationQueue | undefined;
    queue = failingQueue(
      destinationSender({
        accountId: "000000000000",
        lookup: () => fn,
        deliveries: deliveries(false),
        log: (message) => logged.push(message),
        activity: () => {},
        failureDelivered: (outcome) => queue?.handedOff(outcome.requestId),
      }),
    );

    // Act
    queue.enqueue("f", "{}");

    // Assess
    await eventually("the failed send", () => (logged.length > 0 ? true : undefined));
    expect(queue.listFailed()).toHaveLength(1);
    expect(logged[0]).toContain("could not send the on-failure message");
    queue.close();
  });
});
