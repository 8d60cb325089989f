import { describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../src/engine/activity.ts";
import { type EngineContext, EngineEventBus, FaultInjector } from "../../src/engine/context.ts";
import { Deliveries } from "../../src/engine/delivery/index.ts";
import type { LambdaInvokeApi } from "../../src/engine/lambda/contract.ts";
import type { NotificationConfiguration } from "../../src/engine/s3/notifications.ts";
import { s3Notifier } from "../../src/engine/s3/notifiers/destination.ts";
import {
  deliveryCopies,
  type Notifier,
  S3EventNotifications,
  type S3Notification,
} from "../../src/engine/s3/notifiers/index.ts";
import type { ObjectCreatedEvent } from "../../src/engine/types.ts";

const event: ObjectCreatedEvent = {
  eventName: "ObjectCreated:Put",
  bucket: "photos",
  key: "uploads/cat.jpg",
  size: 3,
  eTag: "abc",
  sequencer: "0001",
  eventTime: "2026-11-29T00:00:00.000Z",
  requestId: "req-1",
  principalId: "AWS:test",
  sourceIp: "127.0.0.1",
};

/** A context with what notifications use: account, region, events, faults. */
function contextFor(faults = new FaultInjector()): EngineContext {
  return {
    accountId: "000000000000",
    region: "us-east-1",
    events: new EngineEventBus(),
    faults,
  } as EngineContext;
}

/** A notifier that records what it is asked. */
function recordingNotifier(kind: Notifier["kind"], verdict: ReturnType<Notifier["check"]> = { ok: true }) {
  const delivered: S3Notification[] = [];
  const checked: string[] = [];
  const notifier: Notifier = {
    kind,
    check: (arn) => {
      checked.push(arn);
      return verdict;
    },
    deliver: (notification) => delivered.push(notification),
  };
  return { notifier, delivered, checked };
}

const configuration: NotificationConfiguration = {
  eventBridge: false,
  destinations: [
    {
      kind: "lambda",
      id: "jpg",
      arn: "arn:fn:a",
      events: ["s3:ObjectCreated:*"],
      filterRules: [{ name: "suffix", value: ".jpg" }],
    },
    {
      kind: "lambda",
      id: "png",
      arn: "arn:fn:b",
      events: ["s3:ObjectCreated:*"],
      filterRules: [{ name: "Suffix", value: ".png" }],
    },
    { kind: "topic", id: "topic", arn: "arn:sns:t", events: ["s3:ObjectCreated:*"], filterRules: [] },
  ],
};

describe("Class: S3EventNotifications", () => {
  describe("Method: deliver", () => {
    it("hands each matching destination's S3 event message to the notifier of its type", () => {
      // Prepare
      const context = contextFor();
      const lambda = recordingNotifier("lambda");
      const notifications = new S3EventNotifications({
        context,
        notifiers: [lambda.notifier],
        configuration: () => configuration,
      });

      // Act: through the engine's event bus, as S3's writes publish it.
      context.events.emit("objectCreated", event);
      notifications.close();
      context.events.emit("objectCreated", event);

      // Assess: one delivery (the .png filter and the topic without a notifier deliver nothing; closed, none).
      expect(lambda.delivered).toHaveLength(1);
      const [delivered] = lambda.delivered;
      expect(delivered?.destination.id).toBe("jpg");
      expect(delivered?.source).toEqual({
        bucket: "photos",
        bucketArn: "arn:aws:s3:::photos",
        accountId: "000000000000",
      });
      const body = JSON.parse(delivered?.body ?? "{}");
      expect(body.Records[0].s3).toMatchObject({
        configurationId: "jpg",
        bucket: { name: "photos" },
        object: { key: "uploads/cat.jpg" },
      });
    });
  });

  describe("Method: check", () => {
    it("lists failing destinations as S3's ArgumentName/ArgumentValue pairs, skipping types without a notifier", () => {
      // Prepare
      const lambda = recordingNotifier("lambda", { ok: false, message: "Not authorized" });
      const notifications = new S3EventNotifications({
        context: contextFor(),
        notifiers: [lambda.notifier],
        configuration: () => undefined,
      });

      // Act
      const failures = notifications.check("photos", configuration.destinations);
      notifications.close();

      // Assess
      expect(lambda.checked).toEqual(["arn:fn:a", "arn:fn:b"]);
      expect(failures).toEqual({
        ArgumentName1: "arn:fn:a",
        ArgumentValue1: "Not authorized",
        ArgumentName2: "arn:fn:b",
        ArgumentValue2: "Not authorized",
      });
    });
  });
});

describe("Function: deliveryCopies", () => {
  it("gives one undelayed copy by default, and the configured copies with seeded delays under the jitter", () => {
    // Act
    const plain = deliveryCopies(new FaultInjector());
    const faulty = deliveryCopies(new FaultInjector({ deliveryCopies: 3, deliveryJitterMs: 50, seed: 7 }));
    const again = deliveryCopies(new FaultInjector({ deliveryCopies: 3, deliveryJitterMs: 50, seed: 7 }));

    // Assess
    expect(plain).toEqual([{ copy: 1, delayMs: 0 }]);
    expect(faulty.map(({ copy }) => copy)).toEqual([1, 2, 3]);
    expect(faulty.every(({ delayMs }) => delayMs >= 0 && delayMs < 50)).toBe(true);
    expect(again).toEqual(faulty);
  });
});

describe("Function: s3Notifier for LambdaFunctionConfiguration", () => {
  const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:a";
  const source = { bucket: "photos", bucketArn: "arn:aws:s3:::photos", accountId: "000000000000" };
  const notification: S3Notification = {
    destination: { ...(configuration.destinations[0] as S3Notification["destination"]), arn: functionArn },
    event,
    body: '{"Records":[]}',
    source,
  };
  const invoker = {
    kind: "service",
    service: "s3.amazonaws.com",
    sourceArn: "arn:aws:s3:::photos",
    sourceAccount: "000000000000",
  };

  it("authorizes once as s3.amazonaws.com for the bucket, then invokes asynchronously once per copy", () => {
    // Prepare
    const authorized: unknown[] = [];
    const invocations: unknown[] = [];
    const activity: ActivityEvent[] = [];
    const lambda: Pick<LambdaInvokeApi, "canInvoke" | "authorizeInvoke"> = {
      canInvoke: () => ({ ok: true }),
      authorizeInvoke: (arn, principal) => {
        authorized.push([arn, principal]);
        return {
          ok: true,
          functionName: "a",
          invoke: (payload, options) => {
            invocations.push({ payload, options });
            return { requestId: `r${invocations.length}` };
          },
        };
      },
    };
    const notifier = s3Notifier("lambda", new Deliveries(() => ({ lambda })), {
      accountId: "000000000000",
      faults: new FaultInjector({ deliveryCopies: 2 }),
      log: () => undefined,
      activity: (entry) => activity.push(entry),
    });

    // Act
    notifier.deliver(notification);

    // Assess: one permission check for the event, two copies queued.
    expect(authorized).toEqual([[functionArn, invoker]]);
    expect(invocations).toEqual([
      { payload: '{"Records":[]}', options: {} },
      { payload: '{"Records":[]}', options: {} },
    ]);
    expect(activity.map((entry) => [entry.kind, "requestId" in entry && entry.requestId])).toEqual([
      ["s3.delivery.queued", "r1"],
      ["s3.delivery.queued", "r2"],
    ]);
  });

  it("checks the resource policy with the bucket's SourceArn and SourceAccount, and drops what it refuses", () => {
    // Prepare
    const asked: unknown[] = [];
    const activity: ActivityEvent[] = [];
    const logged: string[] = [];
    const lambda: Pick<LambdaInvokeApi, "canInvoke" | "authorizeInvoke"> = {
      canInvoke: (...args) => {
        asked.push(args);
        return { ok: false, reason: "no policy" };
      },
      authorizeInvoke: (...args) => {
        asked.push(args);
        return { ok: false, reason: "no policy" };
      },
    };
    const notifier = s3Notifier("lambda", new Deliveries(() => ({ lambda })), {
      accountId: "000000000000",
      faults: new FaultInjector(),
      log: (line) => logged.push(line),
      activity: (e) => activity.push(e),
    });

    // Act
    const verdict = notifier.check(functionArn, source);
    notifier.deliver(notification);

    // Assess
    expect(asked).toEqual([
      [functionArn, invoker],
      [functionArn, invoker],
    ]);
    expect(verdict).toEqual({ ok: false, message: `Not authorized to invoke function [${functionArn}]` });
    expect(activity).toEqual([
      {
        kind: "s3.delivery.dropped",
        bucket: "photos",
        key: "uploads/cat.jpg",
        destinationArn: functionArn,
        reason: "no policy",
      },
    ]);
    expect(logged).toEqual([
      `s3: dropped S3 event for s3://photos/uploads/cat.jpg to ${functionArn}: no policy`,
    ]);
  });

  it("refuses a LambdaFunctionConfiguration that names a queue, without asking SQS", () => {
    // Prepare
    const notifier = s3Notifier("lambda", new Deliveries(() => ({})), {
      accountId: "000000000000",
      faults: new FaultInjector(),
      log: () => undefined,
      activity: () => undefined,
    });

    // Act
    const verdict = notifier.check("arn:aws:sqs:us-east-1:000000000000:q", source);

    // Assess
    expect(verdict).toEqual({
      ok: false,
      message: "Not authorized to invoke function [arn:aws:sqs:us-east-1:000000000000:q]",
    });
  });
});
