import { describe, expect, it, vi } from "vitest";
import { allowAll, type EngineContext, EngineEventBus, FaultInjector } from "../../src/engine/context.ts";
import { Deliveries, type DeliveryTargets, deliveryTarget } from "../../src/engine/delivery/index.ts";
import type { IamApi } from "../../src/engine/iam/contract.ts";
import { evaluateResourcePolicy } from "../../src/engine/policy/evaluate.ts";
import { createNotifiers, type NotificationTargets } from "../../src/engine/s3/notifiers/index.ts";
import { createSqsService } from "../../src/engine/sqs/index.ts";
import type { CallingPrincipal } from "../../src/engine/types.ts";

// Counts resource-policy evaluations (the engine's one authorization decision makes them), evaluating for real.
vi.mock("../../src/engine/policy/evaluate.ts", async (original) => {
  const actual = await original<typeof import("../../src/engine/policy/evaluate.ts")>();
  return { ...actual, evaluateResourcePolicy: vi.fn(actual.evaluateResourcePolicy) };
});

const account = "000000000000";
const queueArn = `arn:aws:sqs:us-east-1:${account}:events`;
const functionArn = `arn:aws:lambda:us-east-1:${account}:function:thumbnailer`;
const asS3: CallingPrincipal = {
  kind: "service",
  service: "s3.amazonaws.com",
  sourceArn: "arn:aws:s3:::photos",
  sourceAccount: account,
};

describe("Function: deliveryTarget", () => {
  it("routes an ARN by its service field: queues to SQS, functions (qualified or not) to Lambda", () => {
    expect(deliveryTarget(queueArn)).toEqual({ ok: true, service: "sqs", arn: queueArn });
    expect(deliveryTarget(functionArn)).toEqual({ ok: true, service: "lambda", arn: functionArn });
    expect(deliveryTarget(`${functionArn}:live`)).toMatchObject({ ok: true, service: "lambda" });
    expect(deliveryTarget(`${functionArn}:$LATEST`)).toMatchObject({ ok: true, service: "lambda" });
  });

  it("refuses services the engine does not deliver to, malformed resources and what is not an ARN", () => {
    expect(deliveryTarget(`arn:aws:sns:us-east-1:${account}:topic`)).toEqual({
      ok: false,
      service: "sns",
      reason: `The embedded engine delivers to SQS queues and Lambda functions only, not to arn:aws:sns:us-east-1:${account}:topic.`,
    });
    expect(deliveryTarget(`arn:aws:lambda:us-east-1:${account}:layer:x`)).toMatchObject({
      ok: false,
      service: "lambda",
    });
    expect(deliveryTarget(`arn:aws:sqs:us-east-1:${account}:a/b`)).toMatchObject({
      ok: false,
      service: "sqs",
    });
    expect(deliveryTarget("events")).toMatchObject({ ok: false, service: undefined });
  });
});

/** Targets whose grants count how often a principal was checked and what each copy carried. */
function countingTargets(allowed: boolean) {
  const checks: string[] = [];
  const carried: string[] = [];
  const targets: DeliveryTargets = {
    sqs: {
      canSend: () => ({ ok: true }),
      authorizeSend: (arn) => {
        checks.push(arn);
        if (!allowed) return { ok: false, code: "AccessDenied", message: "no" };
        return {
          ok: true,
          send: async (body) => {
            carried.push(body);
            return { ok: true, messageId: `m${carried.length}` };
          },
        };
      },
    },
    lambda: {
      canInvoke: () => ({ ok: true }),
      authorizeInvoke: (arn) => {
        checks.push(arn);
        if (!allowed) return { ok: false, reason: "no" };
        return {
          ok: true,
          functionName: "thumbnailer",
          invoke: (payload) => {
            carried.push(payload);
            return { requestId: `r${carried.length}` };
          },
        };
      },
    },
  };
  return { targets, checks, carried };
}

describe("Class: Deliveries", () => {
  it("checks the permission once per delivery, whatever the number of copies, for either service", async () => {
    // Prepare
    const { targets, checks, carried } = countingTargets(true);
    const deliveries = new Deliveries(() => targets);
    const reports: unknown[] = [];
    const copies = () => [1, 2, 3].map((copy) => ({ copy, delayMs: 0 }));

    // Act
    deliveries.deliver(functionArn, asS3, { body: "to-lambda" }, { copies, report: (o) => reports.push(o) });
    deliveries.deliver(queueArn, asS3, { body: "to-sqs" }, { copies, report: (o) => reports.push(o) });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(checks).toEqual([functionArn, queueArn]);
    expect(carried).toEqual(["to-lambda", "to-lambda", "to-lambda", "to-sqs", "to-sqs", "to-sqs"]);
    expect(reports).toHaveLength(6);
    expect(reports[0]).toEqual({ ok: true, service: "lambda", functionName: "thumbnailer", requestId: "r1" });
    expect(reports[5]).toEqual({ ok: true, service: "sqs", messageId: "m6" });
  });

  it("reports a refusal once and draws no copies; an unsupported target is refused before any service is asked", () => {
    // Prepare
    const { targets, checks, carried } = countingTargets(false);
    const deliveries = new Deliveries(() => targets);
    const reports: unknown[] = [];
    let drawn = 0;
    const copies = () => {
      drawn += 1;
      return [{ copy: 1, delayMs: 0 }];
    };

    // Act
    deliveries.deliver(functionArn, asS3, { body: "x" }, { copies, report: (o) => reports.push(o) });
    deliveries.deliver(
      `arn:aws:events:us-east-1:${account}:event-bus/default`,
      asS3,
      { body: "x" },
      {
        copies,
        report: (o) => reports.push(o),
      },
    );

    // Assess
    expect(checks).toEqual([functionArn]);
    expect(carried).toEqual([]);
    expect(drawn).toBe(0);
    expect(reports).toEqual([
      { ok: false, reason: "no" },
      { ok: false, reason: expect.stringContaining("SQS queues and Lambda functions only") },
    ]);
  });

  it("refuses message attributes for a function instead of dropping them", () => {
    const { targets, carried } = countingTargets(true);
    const reports: unknown[] = [];
    new Deliveries(() => targets).deliver(
      functionArn,
      asS3,
      { body: "x", attributes: { A: { DataType: "String", StringValue: "a" } } },
      { report: (o) => reports.push(o) },
    );
    expect(carried).toEqual([]);
    expect(reports).toEqual([{ ok: false, reason: "a Lambda function takes no message attributes" }]);
  });
});

/** IAM's API as SQS uses it: naming roles only (queue policies are evaluated in policy/). */
const iam: Pick<IamApi, "getRole"> = { getRole: () => undefined };

describe("S3 → SQS through the delivery module (a real SQS service)", () => {
  it("evaluates the queue's policy once for one S3 event, not once to check and again to send", async () => {
    // Prepare: a queue with a policy, on SQS as the engine builds it (in memory).
    const context = {
      accountId: account,
      region: "us-east-1",
      endpoint: () => "http://127.0.0.1:4566",
      dataDir: undefined,
      store: undefined,
      events: new EngineEventBus(),
      faults: new FaultInjector(),
      authorizer: allowAll,
      log: () => undefined,
    } as unknown as EngineContext;
    const sqs = await createSqsService(context, {}, { iam });
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sqs:SendMessage" }],
    });
    const created = await sqs.handle({
      method: "POST",
      rawPath: "/",
      query: new URLSearchParams(),
      headers: { "x-amz-target": "AmazonSQS.CreateQueue", "content-type": "application/x-amz-json-1.0" },
      host: "127.0.0.1:4566",
      body: Buffer.from(JSON.stringify({ QueueName: "events", Attributes: { Policy: policy } })),
      caller: { accessKeyId: "test", accountId: account, arn: `arn:aws:iam::${account}:root` },
      region: "us-east-1",
      requestId: "create",
    });
    expect(created.status).toBe(200);
    const sent: string[] = [];
    const [, queueNotifier] = createNotifiers({ sqs: sqs.queueSender } as unknown as NotificationTargets, {
      accountId: account,
      faults: context.faults,
      log: () => undefined,
      activity: (event) => {
        if (event.kind === "s3.delivery.sent") sent.push(event.messageId);
      },
    });
    const source = { bucket: "photos", bucketArn: "arn:aws:s3:::photos", accountId: account };
    const destination = {
      kind: "queue" as const,
      id: "q",
      arn: queueArn,
      events: ["s3:ObjectCreated:*"],
      filterRules: [],
    };
    const event = { bucket: "photos", key: "a.jpg" } as Parameters<
      NonNullable<typeof queueNotifier>["deliver"]
    >[0]["event"];

    const evaluations = vi.mocked(evaluateResourcePolicy);
    evaluations.mockClear();

    // Act
    queueNotifier?.deliver({ destination, event, body: '{"Records":[]}', source });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(sent).toHaveLength(1);
    expect(evaluations).toHaveBeenCalledTimes(1);
    await sqs.close?.();
  });
});
