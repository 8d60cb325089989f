import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { type ServedEngine, startServedEngine } from "../helpers/pipeline.ts";

const clientFor = (endpoint: string) =>
  new SQSClient({ endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });

/** Every message body the queue hands out, receiving until it is empty (a long visibility timeout keeps them). */
async function drain(sqs: SQSClient, QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body ?? ""));
  }
}

describe("SQS with --persist", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const dataDir = async () => {
    const directory = await mkdtemp(join(tmpdir(), "sqs-persist-"));
    cleanup.push(() => rm(directory, { recursive: true, force: true }));
    return directory;
  };

  it("keeps queues, attributes, tags, messages and in-flight state across an engine restart", async () => {
    // Prepare
    const directory = await dataDir();
    let engine: Engine | undefined = await startEngine({ port: 0, dataDir: directory });
    cleanup.push(async () => engine?.stop());
    let sqs = clientFor(engine.endpoint);
    const { QueueUrl = "" } = await sqs.send(
      new CreateQueueCommand({
        QueueName: "kept",
        Attributes: { MessageRetentionPeriod: "1209600" },
        tags: { purpose: "on-failure" },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ["a", "b", "c"].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 600 }),
    );
    // Act
    sqs.destroy();
    await engine.stop();
    engine = await startEngine({ port: 0, dataDir: directory });
    sqs = clientFor(engine.endpoint);
    const url = QueueUrl.replace(/^http:\/\/[^/]+/, engine.endpoint);
    // Assess
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
    );
    expect(Attributes).toMatchObject({
      MessageRetentionPeriod: "1209600",
      ApproximateNumberOfMessages: "2",
      ApproximateNumberOfMessagesNotVisible: "1",
    });
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({
      purpose: "on-failure",
    });
    expect((await drain(sqs, url)).sort()).toEqual(
      ["a", "b", "c"].filter((body) => body !== Messages[0]?.Body),
    );
    sqs.destroy();
  });

  it("keeps every message the engine acknowledged before a SIGKILL", async () => {
    // Prepare: `pipeline up --bare --persist` in a child process, so it can be killed without warning.
    const directory = await dataDir();
    let served: ServedEngine | undefined = await startServedEngine(["--bare", "--persist", directory]);
    cleanup.push(async () => {
      served?.kill("SIGKILL");
      await served?.exited;
    });
    let sqs = clientFor(served.endpoint);
    const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "crash" }));
    const acknowledged: string[] = [];
    const sends: Array<Promise<unknown>> = [];
    // Kill mid-stream, once 30 sends were answered: the others are in flight or not yet sent when it dies.
    for (let index = 0; index < 60; index++) {
      const body = `event-${index}`;
      sends.push(
        sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body })).then(
          () => {
            acknowledged.push(body);
            if (acknowledged.length === 30) served?.kill("SIGKILL");
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(sends);
    expect(await served.exited).toBe("SIGKILL");
    sqs.destroy();
    // Act
    served = await startServedEngine(["--bare", "--persist", directory]);
    sqs = clientFor(served.endpoint);
    // Assess: every acknowledged message is there (unacknowledged ones may or may not be, as on AWS).
    const bodies = await drain(sqs, QueueUrl.replace(/^http:\/\/[^/]+/, served.endpoint));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(bodies).toEqual(expect.arrayContaining(acknowledged));
    expect(new Set(bodies).size).toBe(bodies.length);
    sqs.destroy();
  });

  it("releases a waiting long poll when the engine stops", async () => {
    const engine = await startEngine({ port: 0 });
    const sqs = clientFor(engine.endpoint);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "waiting" }));
    const started = Date.now();
    const waiting = sqs
      .send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))
      .catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await engine.stop();
    await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    sqs.destroy();
  });
});
