import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../src/engine/context.ts";
import { Deliveries } from "../../src/engine/delivery/index.ts";
import type { NotificationDestination } from "../../src/engine/s3/notifications.ts";
import { s3Notifier } from "../../src/engine/s3/notifiers/destination.ts";
import type { S3Notification } from "../../src/engine/s3/notifiers/index.ts";
import type { QueueSender } from "../../src/engine/sqs/contract.ts";
import type { CallingPrincipal } from "../../src/engine/types.ts";

const queueArn = "arn:aws:sqs:us-east-1:000000000000:events";
const source = { bucket: "photos", bucketArn: "arn:aws:s3:::photos", accountId: "000000000000" };
const destination: NotificationDestination = {
  kind: "queue",
  id: "to-queue",
  arn: queueArn,
  events: ["s3:ObjectCreated:*"],
  filterRules: [],
};

/** SQS's sender as the delivery module uses it: answers `verdict`, records what it is sent and each check. */
function recordingSender(verdict: ReturnType<QueueSender["canSend"]>) {
  const sent: Array<{ arn: string; body: string; sender: CallingPrincipal }> = [];
  let authorizations = 0;
  const sqs: Pick<QueueSender, "canSend" | "authorizeSend"> = {
    canSend: () => verdict,
    authorizeSend: (arn, identity) => {
      authorizations += 1;
      return verdict.ok
        ? {
            ok: true,
            send: async (body) => {
              sent.push({ arn, body, sender: identity });
              return { ok: true, messageId: `m${sent.length}` };
            },
          }
        : { ok: false, code: "AccessDenied", message: verdict.reason };
    },
  };
  return { sender: new Deliveries(() => ({ sqs })), sent, authorizations: () => authorizations };
}

const queueNotifier = (deliveries: Deliveries, env: ReturnType<typeof environment>) =>
  s3Notifier("queue", deliveries, env);

const environment = (faults = new FaultInjector()) => ({
  accountId: "000000000000",
  faults,
  log: () => undefined,
  activity: () => undefined,
});

describe("Function: queueNotifier", () => {
  it("words a refused destination as S3 does: missing queue, or a policy that does not let S3 send", () => {
    expect(
      queueNotifier(recordingSender({ ok: true }).sender, environment()).check(`${queueArn}.fifo`, source),
    ).toEqual({
      ok: false,
      message: "FIFO queues are not supported as S3 event notification destinations",
    });
    expect(
      queueNotifier(
        recordingSender({ ok: false, reason: `queue does not exist: ${queueArn}` }).sender,
        environment(),
      ).check(queueArn, source),
    ).toEqual({ ok: false, message: "The destination queue does not exist" });
    expect(
      queueNotifier(recordingSender({ ok: false, reason: "policy" }).sender, environment()).check(
        queueArn,
        source,
      ),
    ).toEqual({
      ok: false,
      message:
        "Permissions on the destination queue do not allow S3 to publish notifications from this bucket",
    });
  });

  it("sends s3:TestEvent on configuration and each event copy as s3.amazonaws.com for the bucket", async () => {
    // Prepare
    const { sender, sent, authorizations } = recordingSender({ ok: true });
    const notifier = queueNotifier(sender, environment(new FaultInjector({ deliveryCopies: 2 })));
    // Act
    notifier.configured?.(destination, source);
    notifier.deliver({ destination, body: '{"Records":[]}', source, event: {} } as S3Notification);
    await new Promise((resolve) => setImmediate(resolve));
    // Assess
    expect(JSON.parse(sent[0]?.body ?? "{}")).toMatchObject({
      Service: "Amazon S3",
      Event: "s3:TestEvent",
      Bucket: "photos",
    });
    expect(sent.slice(1).map((message) => message.body)).toEqual(['{"Records":[]}', '{"Records":[]}']);
    expect(sent.every((message) => message.arn === queueArn)).toBe(true);
    // One check for the test event, one for the event's two copies.
    expect(authorizations()).toBe(2);
    expect(sent[1]?.sender).toEqual({
      kind: "service",
      service: "s3.amazonaws.com",
      sourceArn: "arn:aws:s3:::photos",
      sourceAccount: "000000000000",
    });
  });
});
