import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  paginateListQueues,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";
import { failure } from "../helpers/sdk-failure.ts";

/** SQS on the embedded engine through the real SDK v3 client (JSON 1.0 protocol). */
describe("SQS with the SDK v3", () => {
  let engine: Engine;
  let sqs: SQSClient;
  const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
  const create = async (name: string, attributes: Record<string, string> = {}) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl as string;
  const attributesOf = async (QueueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }))).Attributes ?? {};

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    // `localhost`, not 127.0.0.1: queue URLs name the host the request came to, as LocalStack's do.
    sqs = new SQSClient({
      endpoint: engine.endpoint.replace("127.0.0.1", "localhost"),
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
  });
  afterAll(async () => {
    sqs?.destroy();
    await engine?.stop();
  });

  it("creates, finds, configures, lists, tags and deletes queues", async () => {
    const url = await create("orders", { VisibilityTimeout: "45" });
    expect(url).toBe(`http://localhost:${engine.port}/000000000000/orders`);
    expect(await create("orders", { VisibilityTimeout: "45" })).toBe(url);
    expect(
      await failure(
        sqs.send(new CreateQueueCommand({ QueueName: "orders", Attributes: { VisibilityTimeout: "5" } })),
      ),
    ).toEqual({
      name: "QueueNameExists",
      code: "QueueAlreadyExists",
      message:
        "A queue already exists with the same name and a different value for attribute VisibilityTimeout",
      status: 400,
    });
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: "orders" }))).QueueUrl).toBe(url);
    expect(await failure(sqs.send(new GetQueueUrlCommand({ QueueName: "missing" })))).toMatchObject({
      name: "QueueDoesNotExist",
      code: "AWS.SimpleQueueService.NonExistentQueue",
      message: "The specified queue does not exist.",
    });

    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MessageRetentionPeriod: "1209600" } }),
    );
    const attributes = await attributesOf(url);
    expect(attributes).toMatchObject({
      QueueArn: arn("orders"),
      VisibilityTimeout: "45",
      MessageRetentionPeriod: "1209600",
      ApproximateNumberOfMessages: "0",
    });
    expect(Number(attributes.LastModifiedTimestamp)).toBeGreaterThanOrEqual(
      Number(attributes.CreatedTimestamp),
    );
    expect(
      (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout"] }),
        )
      ).Attributes,
    ).toEqual({ VisibilityTimeout: "45" });
    expect(
      await failure(
        sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { QueueArn: "x" } })),
      ),
    ).toMatchObject({ name: "InvalidAttributeName", message: "Unknown Attribute QueueArn." });
    expect(
      await failure(
        sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: "901" } })),
      ),
    ).toMatchObject({
      name: "InvalidAttributeValue",
      message: "Invalid value for the parameter DelaySeconds.",
    });

    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: "media", stage: "dev" } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["stage"] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: "media" });
    // Tags within SQS's quotas: a call with nothing to do, or past 50 tags a queue, is refused, not taken.
    expect(await failure(sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: {} })))).toMatchObject({
      name: "MissingParameter",
    });
    expect(await failure(sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: [] })))).toMatchObject({
      name: "MissingParameter",
    });
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]));
    expect(await failure(sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: fifty })))).toMatchObject({
      name: "InvalidParameterValue",
      message: "Too many tags: a queue can have at most 50, and this request would give it 51.",
    });
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: "media" });

    for (const name of ["list-a", "list-b", "list-c"]) await create(name);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "list-" }))).QueueUrls).toHaveLength(3);
    const pages: string[][] = [];
    for await (const page of paginateListQueues(
      { client: sqs, pageSize: 2 },
      { QueueNamePrefix: "list-", MaxResults: 2 },
    ))
      pages.push(page.QueueUrls ?? []);
    expect(pages.map((page) => page.length)).toEqual([2, 1]);

    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    expect(await failure(attributesOf(url))).toMatchObject({ name: "QueueDoesNotExist" });
  });

  it("sends, receives with system and message attributes, and deletes messages", async () => {
    const url = await create("messages");
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "derp",
        MessageAttributes: {
          id: { DataType: "String", StringValue: "2018fc74-4f77-1a5a-1be0-c2d037d5052b" },
          contentType: { DataType: "String", StringValue: "application/json" },
          timestamp: { DataType: "Number.java.lang.Long", StringValue: "1602845432024" },
        },
      }),
    );
    // AWS's digests for this message (published with AWS's answer).
    expect(sent).toMatchObject({
      MD5OfMessageBody: "58fd9edd83341c29f1aebba81c31e257",
      MD5OfMessageAttributes: "b12289320bb6e494b18b645ef562b4a9",
    });
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "one", MessageBody: "1" },
          { Id: "two", MessageBody: "2", DelaySeconds: 0 },
          { Id: "bad", MessageBody: "late", DelaySeconds: 901 },
        ],
      }),
    );
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(["one", "two"]);
    expect(batch.Failed).toEqual([
      {
        Id: "bad",
        SenderFault: true,
        Code: "InvalidParameterValue",
        Message:
          "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
      },
    ]);

    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount", "SenderId"],
        MessageAttributeNames: ["contentType", "id"],
      }),
    );
    expect(Messages.map((message) => message.Body)).toEqual(["derp", "1", "2"]);
    const [first] = Messages;
    expect(Object.keys(first?.Attributes ?? {}).sort()).toEqual([
      "ApproximateReceiveCount",
      "SenderId",
      "SentTimestamp",
    ]);
    expect(first?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(Object.keys(first?.MessageAttributes ?? {}).sort()).toEqual(["contentType", "id"]);
    expect(first?.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(Messages[1]?.MessageAttributes).toBeUndefined();
    expect(await attributesOf(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "3",
    });

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", ReceiptHandle: Messages[1]?.ReceiptHandle },
          { Id: "b", ReceiptHandle: "garbage" },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: "a" }]);
    expect(deleted.Failed?.[0]).toMatchObject({ Id: "b", Code: "ReceiptHandleIsInvalid", SenderFault: true });
    expect(await attributesOf(url)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: "1" });

    expect(
      await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1_048_577) }))),
    ).toMatchObject({
      name: "InvalidParameterValue",
      message: "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
    });
    expect(
      await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "\u0001" }))),
    ).toMatchObject({
      name: "InvalidMessageContents",
    });
    expect(
      await failure(
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: [
              { Id: "x", MessageBody: "1" },
              { Id: "x", MessageBody: "2" },
            ],
          }),
        ),
      ),
    ).toMatchObject({
      name: "BatchEntryIdsNotDistinct",
      code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
      message: "Id x repeated.",
    });
    expect(
      await failure(
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: Array.from({ length: 11 }, (_, index) => ({ Id: `e${index}`, MessageBody: "m" })),
          }),
        ),
      ),
    ).toMatchObject({
      name: "TooManyEntriesInBatchRequest",
      message: "Maximum number of entries per request are 10. You have sent 11.",
    });
    expect(
      await failure(
        sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a.b", MessageBody: "1" }] })),
      ),
    ).toMatchObject({
      name: "InvalidBatchEntryId",
    });
    expect(
      await failure(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 }))),
    ).toMatchObject({
      name: "InvalidParameterValue",
      message:
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
    });

    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await attributesOf(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
    expect(await failure(sqs.send(new PurgeQueueCommand({ QueueUrl: url })))).toMatchObject({
      name: "PurgeQueueInProgress",
      status: 403,
    });
  });

  it("long-polls: a waiting receive returns as soon as a message is sent, an empty one after its wait", async () => {
    const url = await create("long-poll");
    const started = Date.now();
    const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake up" })), 300);
    const { Messages = [] } = await waiting;
    expect(Messages.map((message) => message.Body)).toEqual(["wake up"]);
    expect(Date.now() - started).toBeLessThan(5_000);

    const emptyStarted = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages).toBeUndefined();
    expect(Date.now() - emptyStarted).toBeGreaterThanOrEqual(900);

    // A queue whose ReceiveMessageWaitTimeSeconds is set long-polls without WaitTimeSeconds, and a delayed message
    // wakes the poll when its delay ends.
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ReceiveMessageWaitTimeSeconds: "5" } }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "delayed", DelaySeconds: 1 }));
    expect(await attributesOf(url)).toMatchObject({ ApproximateNumberOfMessagesDelayed: "1" });
    const delayed = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(delayed.Messages?.map((message) => message.Body)).toEqual(["delayed"]);
  });

  it("makes a message visible again when its visibility timeout expires, and changes visibility", async () => {
    const url = await create("visibility", { VisibilityTimeout: "1" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "retry me" }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0];
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const again = await eventually("the message to be visible again", async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, AttributeNames: ["All"] }),
      );
      return Messages?.[0];
    });
    expect(again.MessageId).toBe(first?.MessageId);
    expect(again.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(Number(again.Attributes?.ApproximateFirstReceiveTimestamp)).toBeLessThanOrEqual(Date.now());

    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: again.ReceiptHandle,
        VisibilityTimeout: 600,
      }),
    );
    expect(await attributesOf(url)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: "1" });
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: "now", ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 0 }],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: "now" }]);
    expect(await attributesOf(url)).toMatchObject({ ApproximateNumberOfMessages: "1" });
    // The stale handle of the first receive no longer changes anything.
    expect(
      await failure(
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: first?.ReceiptHandle,
            VisibilityTimeout: 5,
          }),
        ),
      ),
    ).toMatchObject({ name: "MessageNotInflight", code: "AWS.SimpleQueueService.MessageNotInflight" });
    // A member missing from the request fails its schema in SQS's words, for the request or for one batch entry.
    expect(
      await failure(
        sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle } as never),
        ),
      ),
    ).toMatchObject({
      name: "MissingParameter",
      message: "The request must contain the parameter VisibilityTimeout.",
    });
    const { Messages: [inFlight] = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const partly = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "timed", ReceiptHandle: inFlight?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "untimed", ReceiptHandle: inFlight?.ReceiptHandle } as never,
        ],
      }),
    );
    expect(partly.Successful).toEqual([{ Id: "timed" }]);
    expect(partly.Failed).toEqual([
      {
        Id: "untimed",
        SenderFault: true,
        Code: "MissingParameter",
        Message: "The request must contain the parameter VisibilityTimeout.",
      },
    ]);
  });

  it("moves a message received more than maxReceiveCount times to the dead-letter queue", async () => {
    const deadLetterUrl = await create("poison-dlq");
    const url = await create("poison", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("poison-dlq"), maxReceiveCount: 2 }),
    });
    expect(
      await failure(
        create("bad-redrive", {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("nope"), maxReceiveCount: 2 }),
        }),
      ),
    ).toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/Dead-letter target does not exist/),
    });
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: "poison pill" }),
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }),
      );
      expect(Messages.map((message) => message.MessageId)).toEqual([MessageId]);
    }
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MessageSystemAttributeNames: ["All"] }),
    );
    expect(Messages[0]).toMatchObject({ MessageId, Body: "poison pill" });
    expect(Messages[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(arn("poison"));
    expect(
      (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterUrl }))).queueUrls,
    ).toEqual([url]);
  });

  it("enforces IAM for a role: sqs:<Op> on the queue from its policies or the queue's policy", async () => {
    const url = await create("guarded");
    const roleArn = await createLambdaRole(engine.endpoint, "sqs-reader", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: arn("guarded") }],
    });
    const keys = engine.context.credentials.issueForRole(roleArn, "reader");
    const asRole = new SQSClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: keys });
    try {
      expect((await asRole.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
      expect(
        await failure(asRole.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no" }))),
      ).toEqual({
        name: "AccessDenied",
        code: "AccessDenied",
        status: 403,
        message: `User: arn:aws:sts::000000000000:assumed-role/sqs-reader/reader is not authorized to perform: sqs:sendmessage on resource: ${arn("guarded")} because no identity-based policy allows the sqs:sendmessage action`,
      });
      // The queue's policy may grant what the role's own policies do not.
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: {
            Policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: roleArn },
                  Action: "sqs:SendMessage",
                  Resource: arn("guarded"),
                },
              ],
            }),
          },
        }),
      );
      await asRole.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "yes" }));
      // An explicit Deny in the role's policies wins over the queue's Allow.
      const clients = createAwsClients({
        endpoint: engine.endpoint,
        region: "us-east-1",
        credentials: EMULATOR_CREDENTIALS,
      });
      await clients.iam.send(
        new PutRolePolicyCommand({
          RoleName: "sqs-reader",
          PolicyName: "deny-send",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Deny", Action: "sqs:SendMessage", Resource: "*" }],
          }),
        }),
      );
      clients.destroy();
      expect(
        await failure(asRole.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no" }))),
      ).toMatchObject({
        name: "AccessDenied",
        message: expect.stringMatching(/with an explicit deny in an identity-based policy$/),
      });
      expect(await failure(asRole.send(new PurgeQueueCommand({ QueueUrl: url })))).toMatchObject({
        name: "AccessDenied",
      });
    } finally {
      asRole.destroy();
    }
  });

  it("serves FIFO queues: groups in order, deduplication, sequence numbers", async () => {
    const url = await create("orders.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    const first = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "a1",
        MessageGroupId: "A",
        MessageDeduplicationId: "a1",
      }),
    );
    const duplicate = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "a1 again",
        MessageGroupId: "A",
        MessageDeduplicationId: "a1",
      }),
    );
    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a2", MessageBody: "a2", MessageGroupId: "A" },
          { Id: "b1", MessageBody: "b1", MessageGroupId: "B" },
        ],
      }),
    );
    expect(batch.Successful?.map((entry) => entry.SequenceNumber === undefined)).toEqual([false, false]);
    expect(
      await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no group" }))),
    ).toMatchObject({
      name: "MissingParameter",
      message: "The request must contain the parameter MessageGroupId.",
    });

    const { Messages: [a1] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["All"] }),
    );
    expect(a1?.Body).toBe("a1");
    expect(a1?.Attributes).toMatchObject({
      MessageGroupId: "A",
      MessageDeduplicationId: "a1",
      SequenceNumber: first.SequenceNumber,
    });
    // Group A waits while a1 is in flight; B does not.
    const { Messages: others = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(others.map((message) => message.Body)).toEqual(["b1"]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: a1?.ReceiptHandle }));
    const { Messages: next = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(next.map((message) => message.Body)).toEqual(["a2"]);
  });

  it("refuses a request past its 6 MiB limit with SQS's own named errors, which the SDK parses", async () => {
    // Arrange: bodies past what the edge buffers for SQS (sqs/section.ts), sent once (no SDK retries).
    const url = await create("oversize");
    const once = new SQSClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
    });
    const body = "x".repeat(7 * 1024 * 1024);

    // Act
    const single = await failure(once.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body })));
    const batch = await failure(
      once.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: body }] })),
    );
    once.destroy();

    // Assess: was `RequestEntityTooLarge` (413), a code SQS does not have, with no query code for the SDK.
    expect(single).toMatchObject({
      name: "InvalidParameterValue",
      code: "InvalidParameterValue",
      status: 400,
      message: "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
    });
    expect(batch).toMatchObject({
      name: "BatchRequestTooLong",
      code: "AWS.SimpleQueueService.BatchRequestTooLong",
      status: 400,
    });
  });

  it("refuses an input member it does not handle by name, instead of ignoring it", async () => {
    // Arrange
    const url = await create("members");

    // Act
    const refused = await failure(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, ReceiveRequestAttemptId: "attempt-1" })),
    );

    // Assess: was accepted and ignored.
    expect(refused.status).toBe(400);
    expect(refused.message).toContain("ReceiveRequestAttemptId: not supported by this engine's SQS");
  });

  it("names its errors by their whole shape id in x-amzn-errortype, as in __type", async () => {
    // Act
    const answer = await fetch(engine.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AmazonSQS.GetQueueUrl",
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body: JSON.stringify({ QueueName: "no-such-queue" }),
    });

    // Assess
    expect(answer.headers.get("x-amzn-errortype")).toBe("com.amazonaws.sqs#QueueDoesNotExist");
    expect(((await answer.json()) as { __type: string }).__type).toBe("com.amazonaws.sqs#QueueDoesNotExist");
  });

  it("lists SQS in /_localstack/health", async () => {
    const health = (await (await fetch(`${engine.endpoint}/_localstack/health`)).json()) as {
      services: Record<string, string>;
    };
    expect(health.services.sqs).toBe("running");
  });
});
