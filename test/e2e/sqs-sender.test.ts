import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import type { QueueSender } from "../../src/engine/sqs/contract.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { s3SendPolicy } from "../helpers/sqs.ts";

/**
 * The in-process QueueSender (src/engine/sqs/contract.ts) that Lambda's on-failure destinations and S3's queue
 * notifier send through: a role needs sqs:SendMessage on the queue; a service principal needs the queue's policy
 * with the source ARN and account.
 */
describe("SQS QueueSender", () => {
  let engine: Engine;
  let sqs: SQSClient;
  let sender: QueueSender;
  let queueUrl = "";
  const queueArn = "arn:aws:sqs:us-east-1:000000000000:on-failure";
  const bucketArn = "arn:aws:s3:::uploads";

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    sqs = new SQSClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
    sender = engine.apis.sqs;
    ({ QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "on-failure" })));
  });
  afterAll(async () => {
    sqs?.destroy();
    await engine?.stop();
  });

  it("lets a role send only with sqs:SendMessage on the queue, and the message carries its SenderId", async () => {
    // Prepare
    const narrowArn = await createLambdaRole(engine.endpoint, "narrow");
    const allowedArn = await createLambdaRole(engine.endpoint, "sender", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn }],
    });
    const callerFor = (roleArn: string) => engine.context.credentials.issueForRole(roleArn, "s").caller;
    // Act
    const refused = sender.canSend(queueArn, { kind: "caller", caller: callerFor(narrowArn) });
    const refusedSend = await sender.sendMessage(queueArn, "x", {
      kind: "caller",
      caller: callerFor(narrowArn),
    });
    const sent = await sender.sendMessage(queueArn, '{"failed":true}', {
      kind: "caller",
      caller: callerFor(allowedArn),
    });
    // Assess
    expect(refused.ok).toBe(false);
    expect(refusedSend).toMatchObject({ ok: false, code: "AccessDenied" });
    expect(sent.ok).toBe(true);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ["SenderId"] }),
    );
    expect(Messages.map((message) => message.Body)).toEqual(['{"failed":true}']);
    expect(Messages[0]?.MessageId).toBe(sent.ok ? sent.messageId : "");
    expect(Messages[0]?.Attributes?.SenderId).toMatch(/^\w+:s$/);
  });

  it("lets a service principal send only when the queue policy names it with the source ARN and account", async () => {
    // Prepare
    const s3 = (sourceArn: string, sourceAccount = "000000000000") => ({
      kind: "service" as const,
      service: "s3.amazonaws.com",
      sourceArn,
      sourceAccount,
    });
    expect(sender.canSend(queueArn, s3(bucketArn))).toMatchObject({ ok: false });
    // Act
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: s3SendPolicy(queueArn, "uploads"),
        },
      }),
    );
    // Assess
    expect(sender.canSend(queueArn, s3(bucketArn))).toEqual({ ok: true });
    expect(sender.canSend(queueArn, s3("arn:aws:s3:::other"))).toMatchObject({ ok: false });
    expect(sender.canSend(queueArn, s3(bucketArn, "111111111111"))).toMatchObject({ ok: false });
    expect(await sender.sendMessage(queueArn, "event", s3(bucketArn))).toMatchObject({ ok: true });
    expect(sender.canSend(`${queueArn}-missing`, s3(bucketArn))).toMatchObject({ ok: false });
    expect(await sender.sendMessage(`${queueArn}-missing`, "x", s3(bucketArn))).toMatchObject({
      ok: false,
      code: "QueueDoesNotExist",
    });
    // Lambda's dead-letter messages carry message attributes.
    const withAttributes = await sender.sendMessage(queueArn, "{}", s3(bucketArn), {
      messageAttributes: {
        RequestID: { DataType: "String", StringValue: "r-1" },
        ErrorCode: { DataType: "Number", StringValue: "200" },
      },
    });
    expect(withAttributes.ok).toBe(true);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages.find((message) => message.Body === "{}")?.MessageAttributes).toEqual({
      RequestID: { DataType: "String", StringValue: "r-1" },
      ErrorCode: { DataType: "Number", StringValue: "200" },
    });
    expect(await sender.sendMessage(queueArn, "", s3(bucketArn))).toMatchObject({
      ok: false,
      code: "MissingParameter",
    });
  });
});
