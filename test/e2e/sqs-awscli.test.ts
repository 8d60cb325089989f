import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { awsCliEnvironment } from "../helpers/aws-cli.ts";

const run = promisify(execFile);
/** The AWS CLI v2 from Debian (2.9), which speaks SQS's query protocol; `aws` on PATH may be an old v1. */
const AWS_CLI = "/usr/bin/aws";

type Json = Record<string, unknown>;

describe.skipIf(!existsSync(AWS_CLI))("SQS with the AWS CLI v2 (query protocol)", () => {
  let engine: Engine;

  /** `/usr/bin/aws sqs <args>` against the engine; its JSON output, or its exit code and stderr when it fails. */
  async function sqs(...args: string[]): Promise<Json> {
    const { stdout } = await run(
      AWS_CLI,
      ["sqs", ...args, "--endpoint-url", engine.endpoint, "--output", "json"],
      {
        env: awsCliEnvironment(engine.endpoint),
      },
    );
    return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Json);
  }
  async function sqsFailure(...args: string[]): Promise<{ code: number; stderr: string }> {
    try {
      await sqs(...args);
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr.trim() };
    }
    throw new Error("the command succeeded");
  }

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("runs a queue's life: create, send, batch, receive with attributes, visibility, delete, purge", async () => {
    const dlq = await sqs("create-queue", "--queue-name", "cli-dlq");
    const created = await sqs(
      "create-queue",
      "--queue-name",
      "cli-queue",
      "--attributes",
      JSON.stringify({
        VisibilityTimeout: "20",
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:cli-dlq",
          maxReceiveCount: "3",
        }),
      }),
      "--tags",
      "team=media",
    );
    const url = String(created.QueueUrl);
    expect(url).toBe(`${engine.endpoint}/000000000000/cli-queue`);
    expect(dlq.QueueUrl).toBe(`${engine.endpoint}/000000000000/cli-dlq`);

    // Independent calls run side by side: each CLI start costs about a second.
    const [sent, batch, conflict, badHandle] = await Promise.all([
      sqs(
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "derp & <xml>\r\nline 2",
        "--message-attributes",
        JSON.stringify({
          id: { DataType: "String", StringValue: "453ae55e-f03b-21a6-a4b1-70c2e2e8fe71" },
          mybin: { DataType: "Binary", BinaryValue: Buffer.from("kekchebukek").toString("base64") },
          timestamp: { DataType: "Number.java.lang.Long", StringValue: "1603134247654" },
          contentType: { DataType: "String", StringValue: "application/json" },
        }),
      ),
      sqs(
        "send-message-batch",
        "--queue-url",
        url,
        "--entries",
        JSON.stringify([
          { Id: "one", MessageBody: "1" },
          { Id: "late", MessageBody: "2", DelaySeconds: 901 },
        ]),
      ),
      sqsFailure("create-queue", "--queue-name", "cli-queue", "--attributes", "VisibilityTimeout=5"),
      sqsFailure("delete-message", "--queue-url", url, "--receipt-handle", "bogus"),
    ]);
    // AWS's digest for these attributes (binary hashed as raw bytes).
    expect(sent.MD5OfMessageAttributes).toBe("049075255ebc53fb95f7f9f3cedf3c50");
    expect(conflict.stderr).toBe(
      "An error occurred (QueueAlreadyExists) when calling the CreateQueue operation: A queue already exists with the same name and a different value for attribute VisibilityTimeout",
    );
    expect(badHandle.stderr).toBe(
      'An error occurred (ReceiptHandleIsInvalid) when calling the DeleteMessage operation: The input receipt handle "bogus" is not a valid receipt handle.',
    );
    expect((batch.Successful as Json[]).map((entry) => entry.Id)).toEqual(["one"]);
    expect(batch.Failed).toEqual([
      {
        Id: "late",
        SenderFault: true,
        Code: "InvalidParameterValue",
        Message:
          "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
      },
    ]);

    const received = await sqs(
      "receive-message",
      "--queue-url",
      url,
      "--max-number-of-messages",
      "10",
      "--attribute-names",
      "All",
      "--message-attribute-names",
      "All",
    );
    // The two sends ran side by side, so either may be first; a carriage return survives the query protocol's XML.
    const messages = (received.Messages as Json[]).sort((a, b) =>
      String(b.Body).localeCompare(String(a.Body)),
    );
    expect(messages.map((message) => message.Body)).toEqual(["derp & <xml>\r\nline 2", "1"]);
    const [first, second] = messages as [Json, Json];
    expect(first.MD5OfMessageAttributes).toBe("049075255ebc53fb95f7f9f3cedf3c50");
    expect(first.MessageAttributes).toMatchObject({
      mybin: { DataType: "Binary", BinaryValue: Buffer.from("kekchebukek").toString("base64") },
      timestamp: { DataType: "Number.java.lang.Long", StringValue: "1603134247654" },
    });
    expect(first.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: "000000000000" });

    await Promise.all([
      sqs(
        "change-message-visibility",
        "--queue-url",
        url,
        "--receipt-handle",
        String(first.ReceiptHandle),
        "--visibility-timeout",
        "0",
      ),
      sqs("delete-message", "--queue-url", url, "--receipt-handle", String(second.ReceiptHandle)),
    ]);
    const [attributes, listed, tags] = await Promise.all([
      sqs("get-queue-attributes", "--queue-url", url, "--attribute-names", "All"),
      sqs("list-queues", "--queue-name-prefix", "cli-"),
      sqs("list-queue-tags", "--queue-url", url),
      sqs("set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=0"),
    ]);
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesNotVisible: "0",
      VisibilityTimeout: "20",
      RedrivePolicy:
        '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:cli-dlq","maxReceiveCount":3}',
    });

    expect(listed).toEqual({ QueueUrls: [String(dlq.QueueUrl), url] });
    expect(tags).toEqual({ Tags: { team: "media" } });

    await sqs("purge-queue", "--queue-url", url);
    expect(await sqs("receive-message", "--queue-url", url)).toEqual({});
    await sqs("delete-queue", "--queue-url", url);
    expect(await sqsFailure("get-queue-url", "--queue-name", "cli-queue")).toEqual({
      code: 254,
      stderr:
        "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl operation: The specified queue does not exist.",
    });
  });

  it("names a request past SQS's 6 MiB limit with SQS's own error code", async () => {
    // Arrange: a message body past what the edge buffers for SQS, from a file (too long for an argument).
    const { QueueUrl } = await sqs("create-queue", "--queue-name", "cli-oversize");
    const dir = mkdtempSync(join(tmpdir(), "sqs-oversize-"));
    const file = join(dir, "body.txt");
    writeFileSync(file, "x".repeat(7 * 1024 * 1024));

    // Act
    const failed = await sqsFailure(
      "send-message",
      "--queue-url",
      String(QueueUrl),
      "--message-body",
      `file://${file}`,
    );
    rmSync(dir, { recursive: true, force: true });

    // Assess: was `RequestEntityTooLarge`, a code SQS does not have.
    expect(failed).toEqual({
      code: 254,
      stderr:
        "An error occurred (InvalidParameterValue) when calling the SendMessage operation: One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
    });
  });
});
