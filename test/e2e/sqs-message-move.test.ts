import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { awsCliEnvironment } from "../helpers/aws-cli.ts";
import { eventually } from "../helpers/poll.ts";
import { failure } from "../helpers/sdk-failure.ts";

const run = promisify(execFile);
const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

/**
 * An AWS CLI that knows the message-move commands (added to the SQS API in June 2023): Debian's v2.9 does not, so
 * the first of the CLIs on this machine whose `sqs help` lists `start-message-move-task`.
 */
function findMessageMoveCli(): string | undefined {
  const candidates = ["/usr/local/bin/aws", "/usr/bin/aws"];
  try {
    candidates.push(...execFileSync("which", ["-a", "aws"], { encoding: "utf8" }).split("\n"));
  } catch {
    // no aws on PATH
  }
  return candidates.find((candidate) => {
    if (candidate === "" || !existsSync(candidate)) return false;
    try {
      const help = execFileSync(candidate, ["sqs", "help"], {
        encoding: "utf8",
        env: { ...process.env, AWS_PAGER: "", PAGER: "cat", MANPAGER: "cat" },
        stdio: ["ignore", "pipe", "ignore"],
      });
      return help.includes("start-message-move-task");
    } catch {
      return false;
    }
  });
}

describe("SQS message movement tasks: redriving a dead-letter queue", () => {
  let engine: Engine;
  let sqs: SQSClient;

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    sqs = new SQSClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
  });
  afterAll(async () => {
    sqs?.destroy();
    await engine?.stop();
  });

  const create = async (name: string, attributes: Record<string, string> = {}) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl as string;

  /** A source queue whose messages go to `<name>-dlq` after one receive, with `bodies` already there. */
  async function deadLettered(name: string, bodies: string[]): Promise<{ source: string; dlq: string }> {
    const dlq = await create(`${name}-dlq`);
    const source = await create(name, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(`${name}-dlq`), maxReceiveCount: 1 }),
    });
    for (const body of bodies)
      await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: body }));
    // Received once each (visible again at once), then moved to the dead-letter queue by the next receive.
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }));
    expect(again.Messages ?? []).toEqual([]);
    return { source, dlq };
  }

  const bodiesIn = async (url: string) => {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    return (received.Messages ?? []).map((message) => message.Body).sort();
  };

  const latestTask = async (sourceArn: string): Promise<ListMessageMoveTasksResultEntry> =>
    (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }))).Results?.[0] ?? {};

  it("moves a dead-letter queue's messages back to their source queue, then reports the task COMPLETED", async () => {
    // Arrange
    const { source, dlq } = await deadLettered("orders", ["a", "b", "c"]);

    // Act
    const started = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("orders-dlq") }));
    const done = await eventually("the task to complete", async () => {
      const task = await latestTask(arn("orders-dlq"));
      return task.Status === "COMPLETED" ? task : undefined;
    });

    // Assess
    expect(started.TaskHandle).toMatch(/^[\w-]+$/);
    expect(done).toMatchObject({
      Status: "COMPLETED",
      SourceArn: arn("orders-dlq"),
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    expect(done.TaskHandle).toBeUndefined();
    expect(done.DestinationArn).toBeUndefined();
    expect(await bodiesIn(source)).toEqual(["a", "b", "c"]);
    expect(await bodiesIn(dlq)).toEqual([]);
  });

  it("moves to a DestinationArn instead, at the rate asked, one running task per source, and cancels it", async () => {
    // Arrange: four messages at one message per second.
    await deadLettered("slow", ["1", "2", "3", "4"]);
    const elsewhere = await create("slow-elsewhere");

    // Act
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: arn("slow-dlq"),
        DestinationArn: arn("slow-elsewhere"),
        MaxNumberOfMessagesPerSecond: 1,
      }),
    );
    const second = await failure(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("slow-dlq") })));
    const running = await latestTask(arn("slow-dlq"));
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: started.TaskHandle }));
    const afterCancel = await latestTask(arn("slow-dlq"));
    const cancelAgain = await failure(
      sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: started.TaskHandle })),
    );

    // Assess
    expect(second).toMatchObject({
      name: "InvalidParameterValue",
      message:
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    });
    expect(running).toMatchObject({
      TaskHandle: started.TaskHandle,
      Status: "RUNNING",
      DestinationArn: arn("slow-elsewhere"),
      MaxNumberOfMessagesPerSecond: 1,
      ApproximateNumberOfMessagesToMove: 4,
    });
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(4);
    expect(afterCancel).toMatchObject({ Status: "CANCELLED" });
    expect(cancelAgain.name).toBe("InvalidParameterValue");
    const moved = await bodiesIn(elsewhere);
    expect(moved.length).toBe(cancelled.ApproximateNumberOfMessagesMoved);
  });

  it("lists a source's tasks newest first, up to MaxResults", async () => {
    // Arrange: three finished tasks on one dead-letter queue.
    const { source } = await deadLettered("listed", []);
    for (let index = 0; index < 3; index++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: `m${index}` }));
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("listed-dlq") }));
      await eventually("the task to finish", async () =>
        (await latestTask(arn("listed-dlq"))).Status === "COMPLETED" ? true : undefined,
      );
    }

    // Act
    const all = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: arn("listed-dlq"), MaxResults: 10 }),
    );
    const latest = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn("listed-dlq") }));

    // Assess
    const started = (all.Results ?? []).map((task) => task.StartedTimestamp ?? 0);
    expect(started).toHaveLength(3);
    expect([...started].sort((a, b) => b - a)).toEqual(started);
    expect(latest.Results).toHaveLength(1);
  });

  it("lists none of a deleted dead-letter queue's tasks once a queue of its name is made again", async () => {
    const { dlq } = await deadLettered("recreated", ["a", "b"]);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("recreated-dlq") }));
    await eventually("the task to finish", async () =>
      (await latestTask(arn("recreated-dlq"))).Status === "COMPLETED" ? true : undefined,
    );

    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlq }));
    await create("recreated-dlq");

    const listed = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: arn("recreated-dlq"), MaxResults: 10 }),
    );
    expect(listed.Results ?? []).toEqual([]);
  });

  it("refuses what AWS refuses, with AWS's errors", async () => {
    // Arrange
    await create("plain");

    // Act
    const notDlq = await failure(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("plain") })));
    const missing = await failure(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("nope") })));
    const badRate = await failure(
      sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: arn("orders-dlq"), MaxNumberOfMessagesPerSecond: 501 }),
      ),
    );
    const noDestination = await failure(
      sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: arn("orders-dlq"), DestinationArn: arn("nope") }),
      ),
    );
    const badMax = await failure(
      sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn("orders-dlq"), MaxResults: 11 })),
    );
    const noTask = await failure(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: "not-a-handle" })));

    // Assess
    expect(notDlq).toMatchObject({
      name: "InvalidParameterValue",
      status: 400,
      message: "Source queue must be configured as a Dead Letter Queue.",
    });
    expect(missing).toMatchObject({
      name: "ResourceNotFoundException",
      message: "The resource that you specified for the SourceArn parameter doesn't exist.",
    });
    expect(badRate).toMatchObject({ name: "InvalidParameterValue" });
    expect(badRate.message).toContain("MaxNumberOfMessagesPerSecond");
    expect(noDestination).toMatchObject({
      name: "ResourceNotFoundException",
      message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
    });
    expect(badMax).toMatchObject({
      name: "InvalidParameterValue",
      message:
        "Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.",
    });
    expect(noTask).toMatchObject({ name: "ResourceNotFoundException", message: "Task does not exist." });
  });

  const cli = findMessageMoveCli();
  it.skipIf(cli === undefined)(
    "serves the AWS CLI's start-, list- and cancel-message-move-task",
    async () => {
      // Arrange
      await deadLettered("cli", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
      const aws = async (...args: string[]) => {
        const { stdout } = await run(
          cli as string,
          ["sqs", ...args, "--endpoint-url", engine.endpoint, "--region", "us-east-1", "--output", "json"],
          { env: awsCliEnvironment(engine.endpoint) },
        );
        return JSON.parse(stdout || "{}") as Record<string, unknown>;
      };

      // Act: cancelled at once, while it has about ten seconds of messages to move at one per second.
      const started = await aws(
        "start-message-move-task",
        "--source-arn",
        arn("cli-dlq"),
        "--max-number-of-messages-per-second",
        "1",
      );
      const cancelled = await aws("cancel-message-move-task", "--task-handle", String(started.TaskHandle));
      const listed = await aws(
        "list-message-move-tasks",
        "--source-arn",
        arn("cli-dlq"),
        "--max-results",
        "10",
      );

      // Assess
      expect(typeof started.TaskHandle).toBe("string");
      expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(10);
      expect(listed.Results).toEqual([
        expect.objectContaining({
          Status: "CANCELLED",
          SourceArn: arn("cli-dlq"),
          MaxNumberOfMessagesPerSecond: 1,
          ApproximateNumberOfMessagesToMove: 10,
        }),
      ]);
    },
  );
});
