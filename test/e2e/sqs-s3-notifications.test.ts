import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { s3SendPolicy } from "../helpers/sqs.ts";

describe("S3 -> SQS event notifications", () => {
  let engine: Engine;
  let s3: S3Client;
  let sqs: SQSClient;
  const bucket = "notified";
  const queueArn = "arn:aws:sqs:us-east-1:000000000000:object-events";
  let queueUrl = "";

  /** Long-polls the queue for the next message and deletes it. */
  async function nextMessage(): Promise<Message | undefined> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }),
    );
    const [message] = Messages;
    if (message)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    return message;
  }
  const configure = (queue = queueArn) =>
    s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Id: "uploads-to-queue",
              QueueArn: queue,
              Events: ["s3:ObjectCreated:*"],
              Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "uploads/" }] } },
            },
          ],
        },
      }),
    );

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    const common = { endpoint: engine.endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS };
    s3 = new S3Client({ ...common, forcePathStyle: true });
    sqs = new SQSClient(common);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    ({ QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "object-events" })));
  });
  afterAll(async () => {
    s3?.destroy();
    sqs?.destroy();
    await engine?.stop();
  });

  it("refuses a queue whose policy does not let S3 send from this bucket, and a queue that does not exist", async () => {
    const refused = await configure().catch((error: Error & { $response?: unknown }) => error);
    expect(refused).toMatchObject({
      name: "InvalidArgument",
      message: "Unable to validate the following destination configurations",
    });
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: s3SendPolicy(queueArn, "another-bucket") },
      }),
    );
    expect(await configure().catch((error: Error) => error.name)).toBe("InvalidArgument");
    expect(await configure(`${queueArn}-missing`).catch((error: Error) => error.name)).toBe(
      "InvalidArgument",
    );
    expect(
      (await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).QueueConfigurations,
    ).toBeUndefined();
  });

  it("sends s3:TestEvent when configured, then AWS-shaped event messages for matching objects", async () => {
    // Prepare
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: s3SendPolicy(queueArn, bucket) },
      }),
    );
    // Act
    await configure();
    // Assess: the test event, with no Records.
    const test = JSON.parse((await nextMessage())?.Body ?? "{}") as Record<string, unknown>;
    expect(test).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: bucket });
    expect(test.Records).toBeUndefined();
    expect(Date.parse(String(test.Time))).not.toBeNaN();
    expect(
      (await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).QueueConfigurations,
    ).toEqual([
      expect.objectContaining({ Id: "uploads-to-queue", QueueArn: queueArn, Events: ["s3:ObjectCreated:*"] }),
    ]);

    // Act: one object outside the filter, one inside (a space in the key, form-encoded in the event).
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "other/skip.txt", Body: "no" }));
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "uploads/cat photo.jpg", Body: "meow" }),
    );
    // Assess
    const message = await nextMessage();
    expect(message?.Attributes).toBeUndefined();
    const event = JSON.parse(message?.Body ?? "{}") as { Records: Array<Record<string, unknown>> };
    expect(event.Records).toHaveLength(1);
    const [record] = event.Records;
    expect(record).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventName: "ObjectCreated:Put",
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "uploads-to-queue",
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: "uploads/cat+photo.jpg", size: 4, eTag: put.ETag?.replaceAll('"', "") },
      },
    });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
  });
});
