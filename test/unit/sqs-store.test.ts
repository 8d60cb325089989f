import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqsError } from "../../src/engine/sqs/errors.ts";
import {
  md5OfBody,
  md5OfMessageAttributes,
  selectMessageAttributes,
} from "../../src/engine/sqs/message-attributes.ts";
import { SqsStore, type SqsStoreOptions } from "../../src/engine/sqs/store.ts";
import { DurableStore } from "../../src/engine/store/index.ts";

const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

/** A store on a clock the test moves. */
function storeAt(start = 1_700_000_000_000, options: Partial<SqsStoreOptions> = {}) {
  const clock = { now: start };
  const store = new SqsStore({
    accountId: "000000000000",
    region: "us-east-1",
    queueArn: arnOf,
    now: () => clock.now,
    ...options,
  });
  return { store, clock };
}

/** A store on a clock the test moves, kept in the persistence layer under `directory`. */
async function durableStoreAt(start: number, directory: string) {
  const clock = { now: start };
  const notices: string[] = [];
  const durable = new DurableStore(directory, (message) => notices.push(message));
  const store = await SqsStore.open(
    { accountId: "000000000000", region: "us-east-1", queueArn: arnOf, now: () => clock.now },
    durable,
  );
  return { store, clock, durable, notices, path: durable.path("sqs") };
}

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof SqsError) return `${error.code} ${error.message}`;
    throw error;
  }
  return "no error";
};

describe("Function: md5OfMessageAttributes", () => {
  it("matches the digests AWS returns for string, custom Number and binary attributes", () => {
    // Prepare: vectors published with AWS's answers (moto's and other emulators' conformance tests).
    const strings = {
      id: { DataType: "String", StringValue: "2018fc74-4f77-1a5a-1be0-c2d037d5052b" },
      contentType: { DataType: "String", StringValue: "application/json" },
      timestamp: { DataType: "Number.java.lang.Long", StringValue: "1602845432024" },
    };
    const binary = {
      id: { DataType: "String", StringValue: "453ae55e-f03b-21a6-a4b1-70c2e2e8fe71" },
      mybin: { DataType: "Binary", BinaryValue: Buffer.from("kekchebukek").toString("base64") },
      timestamp: { DataType: "Number.java.lang.Long", StringValue: "1603134247654" },
      contentType: { DataType: "String", StringValue: "application/json" },
    };
    // Act + Assess
    expect(md5OfMessageAttributes(strings)).toBe("b12289320bb6e494b18b645ef562b4a9");
    expect(md5OfMessageAttributes(binary)).toBe("049075255ebc53fb95f7f9f3cedf3c50");
    expect(
      md5OfMessageAttributes({
        "SOME_Valid.attribute-Name": { DataType: "Number", StringValue: "1493147359900" },
      }),
    ).toBe("36655e7e9d7c0e8479fa3f3f42247ae7");
    expect(md5OfMessageAttributes({})).toBeUndefined();
    expect(md5OfBody("derp")).toBe("58fd9edd83341c29f1aebba81c31e257");
  });
});

describe("Function: selectMessageAttributes", () => {
  it("selects All, exact names and `prefix.*` names, as ReceiveMessage's MessageAttributeNames does", () => {
    const value = { DataType: "String", StringValue: "v" };
    const attributes = { "trace.id": value, "trace.span": value, tracer: value, other: value };
    const names = (requested: string[]) => Object.keys(selectMessageAttributes(attributes, requested)).sort();
    expect(names(["trace.*"])).toEqual(["trace.id", "trace.span"]);
    expect(names(["other", "tracer"])).toEqual(["other", "tracer"]);
    expect(names(["All"])).toHaveLength(4);
    expect(names([".*"])).toHaveLength(4);
    expect(names([])).toEqual([]);
  });
});

describe("Class: SqsStore", () => {
  describe("Method: createQueue", () => {
    it("returns the existing queue for the same attributes and refuses different ones", () => {
      const { store } = storeAt();
      expect(store.createQueue("q", { VisibilityTimeout: "30" }).created).toBe(true);
      expect(store.createQueue("q", { VisibilityTimeout: "30" }).created).toBe(false);
      expect(store.createQueue("q").created).toBe(false);
      expect(codeOf(() => store.createQueue("q", { VisibilityTimeout: "10" }))).toBe(
        "QueueNameExists A queue already exists with the same name and a different value for attribute VisibilityTimeout",
      );
    });

    it("validates names and attributes with AWS's errors", () => {
      const { store } = storeAt();
      expect(codeOf(() => store.createQueue("bad name"))).toMatch(/^InvalidParameterValue Can only include/);
      expect(codeOf(() => store.createQueue("q", { VisibilityTimeout: "43201" }))).toBe(
        "InvalidAttributeValue Invalid value for the parameter VisibilityTimeout.",
      );
      expect(codeOf(() => store.createQueue("q", { Bogus: "1" }))).toBe(
        "InvalidAttributeName Unknown Attribute Bogus.",
      );
      expect(codeOf(() => store.createQueue("q", { QueueArn: "x" }))).toBe(
        "InvalidAttributeName Unknown Attribute QueueArn.",
      );
      expect(
        codeOf(() =>
          store.createQueue("q", {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf("missing"), maxReceiveCount: 3 }),
          }),
        ),
      ).toMatch(/Reason: Dead-letter target does not exist\.$/);
      expect(codeOf(() => store.createQueue("q.fifo"))).toMatch(/^InvalidParameterValue Can only include/);
      expect(codeOf(() => store.createQueue("q", { FifoQueue: "true" }))).toMatch(
        /^InvalidParameterValue The name of a FIFO queue can only include/,
      );
      expect(codeOf(() => store.createQueue("q", { ContentBasedDeduplication: "true" }))).toBe(
        "InvalidAttributeName Unknown Attribute ContentBasedDeduplication.",
      );
    });

    it("reports defaults, counts and timestamps as GetQueueAttributes does", () => {
      const { store } = storeAt(1_700_000_000_500);
      const { queue } = store.createQueue("q");
      expect(store.attributesOf(queue)).toEqual({
        DelaySeconds: "0",
        MaximumMessageSize: "1048576",
        MessageRetentionPeriod: "345600",
        ReceiveMessageWaitTimeSeconds: "0",
        VisibilityTimeout: "30",
        SqsManagedSseEnabled: "true",
        QueueArn: arnOf("q"),
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
        ApproximateNumberOfMessagesDelayed: "0",
        CreatedTimestamp: "1700000000",
        LastModifiedTimestamp: "1700000000",
      });
    });
  });

  describe("Method: send", () => {
    it("enforces the body limits and characters with AWS's messages", () => {
      const { store } = storeAt();
      const { queue } = store.createQueue("q");
      const sender = { senderId: "000000000000" };
      expect(codeOf(() => store.send(queue, { ...sender, body: "" }))).toBe(
        "MissingParameter The request must contain the parameter MessageBody.",
      );
      expect(codeOf(() => store.send(queue, { ...sender, body: "x".repeat(1_048_577) }))).toBe(
        "InvalidParameterValue One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
      );
      expect(codeOf(() => store.send(queue, { ...sender, body: "a\u0000b" }))).toMatch(
        /^InvalidMessageContents/,
      );
      expect(store.send(queue, { ...sender, body: "x".repeat(1_048_576) }).md5OfMessageBody).toMatch(
        /^[0-9a-f]{32}$/,
      );
      expect(
        codeOf(() =>
          store.send(queue, {
            ...sender,
            body: "b",
            attributes: { n: { DataType: "Number", StringValue: "one" } },
          }),
        ),
      ).toBe("InvalidParameterValue Can't cast the value of message (user) attribute 'n' to a number.");
      expect(codeOf(() => store.send(queue, { ...sender, body: "b", delaySeconds: 901 }))).toMatch(
        /^InvalidParameterValue Value 901 for parameter DelaySeconds is invalid/,
      );
    });

    it("holds a delayed message back, counted as delayed, until its delay passes", () => {
      const { store, clock } = storeAt();
      const { queue } = store.createQueue("q");
      store.send(queue, { body: "later", delaySeconds: 5, senderId: "s" });
      expect(store.receive(queue)).toEqual([]);
      expect(store.attributesOf(queue).ApproximateNumberOfMessagesDelayed).toBe("1");
      clock.now += 5_000;
      expect(store.receive(queue).map(({ message }) => message.body)).toEqual(["later"]);
    });

    it("refuses messages beyond the engine's memory bound", () => {
      const { store } = storeAt(undefined, { limits: { maxStoredBytes: 10 } });
      const { queue } = store.createQueue("q");
      store.send(queue, { body: "12345", senderId: "s" });
      expect(codeOf(() => store.send(queue, { body: "123456", senderId: "s" }))).toMatch(/^OverLimit /);
    });
  });

  describe("Method: receive", () => {
    it("hides a received message for the visibility timeout, then hands it out again with a new handle", () => {
      const { store, clock } = storeAt();
      const { queue } = store.createQueue("q", { VisibilityTimeout: "10" });
      store.send(queue, { body: "m", senderId: "s" });
      const [first] = store.receive(queue);
      expect(store.receive(queue)).toEqual([]);
      expect(store.attributesOf(queue).ApproximateNumberOfMessagesNotVisible).toBe("1");
      clock.now += 10_000;
      const [second] = store.receive(queue);
      expect(second?.message.receiveCount).toBe(2);
      expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
      // The older handle no longer deletes the message, and is not an error (as on AWS).
      store.deleteMessage(queue, first?.receiptHandle ?? "");
      expect(queue.messages.size).toBe(1);
      store.deleteMessage(queue, second?.receiptHandle ?? "");
      expect(queue.messages.size).toBe(0);
      expect(codeOf(() => store.deleteMessage(queue, "not-a-handle"))).toBe(
        'ReceiptHandleIsInvalid The input receipt handle "not-a-handle" is not a valid receipt handle.',
      );
    });

    it("changes visibility only for a message in flight", () => {
      const { store, clock } = storeAt();
      const { queue } = store.createQueue("q");
      store.send(queue, { body: "m", senderId: "s" });
      const [received] = store.receive(queue, { visibilityTimeout: 60 });
      store.changeVisibility(queue, received?.receiptHandle ?? "", 0);
      expect(store.attributesOf(queue).ApproximateNumberOfMessages).toBe("1");
      expect(codeOf(() => store.changeVisibility(queue, received?.receiptHandle ?? "", 5))).toBe(
        "MessageNotInflight Message does not exist or is not available for visibility timeout change.",
      );
      clock.now += 1;
      expect(codeOf(() => store.receive(queue, { maxNumberOfMessages: 11 }))).toBe(
        "InvalidParameterValue Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
      );
    });

    it("drops messages older than the retention period", () => {
      const { store, clock } = storeAt();
      const { queue } = store.createQueue("q", { MessageRetentionPeriod: "60" });
      store.send(queue, { body: "old", senderId: "s" });
      clock.now += 60_000;
      expect(store.receive(queue)).toEqual([]);
      expect(queue.messages.size).toBe(0);
    });

    it("moves a message received more than maxReceiveCount times to the dead-letter queue", () => {
      const { store, clock } = storeAt();
      const { queue: deadLetter } = store.createQueue("dlq");
      const { queue } = store.createQueue("q", {
        VisibilityTimeout: "1",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: "2" }),
      });
      expect(queue.record.attributes.RedrivePolicy).toBe(
        JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: 2 }),
      );
      const sent = store.send(queue, { body: "poison", senderId: "s" });
      for (let receive = 0; receive < 2; receive++) {
        expect(store.receive(queue)).toHaveLength(1);
        clock.now += 1_000;
      }
      expect(store.receive(queue)).toEqual([]);
      const [moved] = store.receive(deadLetter);
      expect(moved?.message).toMatchObject({
        messageId: sent.messageId,
        body: "poison",
        receiveCount: 1,
        deadLetterQueueSourceArn: queue.arn,
      });
    });
  });

  describe("Method: receiveWaiting", () => {
    it("wakes a long poll on send and releases waiters empty on close", async () => {
      const store = new SqsStore({ accountId: "000000000000", region: "us-east-1", queueArn: arnOf });
      const { queue } = store.createQueue("q");
      const started = Date.now();
      const polled = store.receiveWaiting("q", { waitTimeSeconds: 20 });
      setTimeout(() => store.send(queue, { body: "wake", senderId: "s" }), 50);
      expect((await polled).map(({ message }) => message.body)).toEqual(["wake"]);
      expect(Date.now() - started).toBeLessThan(5_000);

      const released = store.receiveWaiting("q", { waitTimeSeconds: 20 });
      setTimeout(() => store.close(), 50);
      expect(await released).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("answers at once, as a short poll, beyond the bound on waiters", async () => {
      const store = new SqsStore({
        accountId: "000000000000",
        region: "us-east-1",
        queueArn: arnOf,
        limits: { maxWaiters: 1 },
      });
      store.createQueue("q");
      const waiting = store.receiveWaiting("q", { waitTimeSeconds: 20 });
      const started = Date.now();
      expect(await store.receiveWaiting("q", { waitTimeSeconds: 20 })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1_000);
      store.close();
      await waiting;
    });
  });

  describe("FIFO queues", () => {
    const fifoStore = () => {
      const made = storeAt();
      const { queue } = made.store.createQueue("jobs.fifo", { FifoQueue: "true" });
      return { ...made, queue };
    };

    it("requires a group and a deduplication id, refuses per-message delays, and reports FIFO defaults", () => {
      const { store, queue } = fifoStore();
      expect(store.attributesOf(queue)).toMatchObject({
        FifoQueue: "true",
        ContentBasedDeduplication: "false",
        DeduplicationScope: "queue",
        FifoThroughputLimit: "perQueue",
      });
      expect(codeOf(() => store.send(queue, { body: "m", senderId: "s" }))).toBe(
        "MissingParameter The request must contain the parameter MessageGroupId.",
      );
      expect(codeOf(() => store.send(queue, { body: "m", senderId: "s", messageGroupId: "g" }))).toBe(
        "InvalidParameterValue The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
      expect(
        codeOf(() =>
          store.send(queue, {
            body: "m",
            senderId: "s",
            messageGroupId: "g",
            messageDeduplicationId: "d",
            delaySeconds: 1,
          }),
        ),
      ).toMatch(/^InvalidParameterValue Value 1 for parameter DelaySeconds is invalid/);
      const { queue: standard } = store.createQueue("standard");
      expect(
        codeOf(() =>
          store.createQueue("source.fifo", {
            FifoQueue: "true",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: standard.arn, maxReceiveCount: 1 }),
          }),
        ),
      ).toMatch(/Dead-letter queue must be same type of queue as the source/);
    });

    it("accepts DelaySeconds 0 on a FIFO send (only a non-zero per-message delay is refused)", () => {
      const { store, queue } = fifoStore();
      const sent = store.send(queue, {
        body: "m",
        senderId: "s",
        messageGroupId: "g",
        messageDeduplicationId: "d",
        delaySeconds: 0,
      });
      expect(sent.md5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
    });

    it("takes a FIFO queue as a FIFO queue's dead-letter queue", () => {
      const { store, queue: deadLetter } = fifoStore();
      const { queue: source } = store.createQueue("source.fifo", {
        FifoQueue: "true",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: 2 }),
      });
      expect(store.attributesOf(source).RedrivePolicy).toBe(
        JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: 2 }),
      );
    });

    it("drops a duplicate within 5 minutes, answering it as the first send", () => {
      const { store, queue, clock } = fifoStore();
      const send = (body: string, id: string) =>
        store.send(queue, { body, senderId: "s", messageGroupId: "g", messageDeduplicationId: id });
      const first = send("one", "d1");
      expect(send("one again", "d1")).toEqual({ ...first, md5OfMessageBody: md5OfBody("one again") });
      expect(queue.messages.size).toBe(1);
      clock.now += 5 * 60 * 1000;
      const later = send("one later", "d1");
      expect(later.messageId).not.toBe(first.messageId);
      expect(BigInt(later.sequenceNumber ?? "0")).toBeGreaterThan(BigInt(first.sequenceNumber ?? "0"));
      // Content-based deduplication: the body's SHA-256 is the id.
      store.setAttributes(queue, { ContentBasedDeduplication: "true" });
      const byContent = store.send(queue, { body: "same", senderId: "s", messageGroupId: "g" });
      expect(store.send(queue, { body: "same", senderId: "s", messageGroupId: "h" })).toEqual(byContent);
    });

    it("hands out a group's messages in order, holding the group while one is in flight", () => {
      const { store, queue } = fifoStore();
      for (const [body, group] of [
        ["a1", "A"],
        ["a2", "A"],
        ["b1", "B"],
      ] as const)
        store.send(queue, { body, senderId: "s", messageGroupId: group, messageDeduplicationId: body });
      const bodies = (received: ReturnType<SqsStore["receive"]>) =>
        received.map(({ message }) => message.body);
      const [a1] = store.receive(queue);
      expect(a1?.message.body).toBe("a1");
      expect(bodies(store.receive(queue, { maxNumberOfMessages: 10 }))).toEqual(["b1"]);
      store.deleteMessage(queue, a1?.receiptHandle ?? "");
      expect(bodies(store.receive(queue, { maxNumberOfMessages: 10 }))).toEqual(["a2"]);
    });
  });

  describe("Method: purge", () => {
    it("empties the queue once per 60 seconds", () => {
      const { store, clock } = storeAt();
      const { queue } = store.createQueue("q");
      store.send(queue, { body: "m", senderId: "s" });
      store.purge(queue);
      expect(queue.messages.size).toBe(0);
      expect(codeOf(() => store.purge(queue))).toBe(
        "PurgeQueueInProgress Only one PurgeQueue operation on q is allowed every 60 seconds.",
      );
      clock.now += 60_000;
      store.purge(queue);
    });
  });

  describe("Persistence", () => {
    let directory = "";
    afterEach(() => {
      if (directory) rmSync(directory, { recursive: true, force: true });
    });

    it("compacts the journal once it has grown well past the live state", async () => {
      // Prepare
      directory = mkdtempSync(join(tmpdir(), "sqs-journal-"));
      const { store, durable, path } = await durableStoreAt(1_700_000_000_000, directory);
      const { queue } = store.createQueue("q");
      // Act: 4,000 messages through the queue (12,000 journal lines), one kept.
      store.send(queue, { body: "kept", senderId: "s" });
      for (let index = 0; index < 4_000; index++) {
        store.send(queue, { body: `m${index}`, senderId: "s" });
        const received = store.receive(queue, { maxNumberOfMessages: 2 });
        const done = received.find(({ message }) => message.body !== "kept");
        store.deleteMessage(queue, done?.receiptHandle ?? "");
        store.changeVisibility(
          queue,
          received.find(({ message }) => message.body === "kept")?.receiptHandle ?? "",
          0,
        );
      }
      store.close();
      await durable.close();
      // Assess: far fewer lines than were written, and what remains restores to the one live message.
      const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).length;
      expect(lines).toBeLessThan(10_000);
      const restored = await durableStoreAt(1_700_000_000_000, directory);
      expect([...restored.store.requireQueue("q").messages.values()].map((message) => message.body)).toEqual([
        "kept",
      ]);
      // Closed, not left to the garbage collector (Node closes a forgotten file with a DEP0137 warning).
      restored.store.close();
      await restored.durable.close();
    });

    it("restores queues, messages and receive state from the journal, dropping and reporting a torn tail", async () => {
      // Prepare
      directory = mkdtempSync(join(tmpdir(), "sqs-journal-"));
      const first = await durableStoreAt(1_700_000_000_000, directory);
      const path = first.path;
      const { queue } = first.store.createQueue("q", { VisibilityTimeout: "100" });
      const kept = first.store.send(queue, {
        body: "kept",
        senderId: "s",
        attributes: { a: { DataType: "String", StringValue: "v" } },
      });
      const deleted = first.store.send(queue, { body: "deleted", senderId: "s" });
      const [inFlight] = first.store.receive(queue);
      const [toDelete] = first.store.receive(queue);
      first.store.deleteMessage(queue, toDelete?.receiptHandle ?? "");
      expect(toDelete?.message.messageId).toBe(deleted.messageId);
      await first.durable.settled();
      writeFileSync(path, `${readFileSync(path, "utf8")}0badc0de {"t":"send","queue":"q","mess`);
      // Act: a second engine on the same file, with the first never closed (as after SIGKILL).
      const second = await durableStoreAt(1_700_000_050_000, directory);
      // Assess
      const restored = second.store.requireQueue("q");
      expect([...restored.messages.values()].map((message) => message.body)).toEqual(["kept"]);
      expect(second.store.receive(restored)).toEqual([]);
      second.clock.now += 50_000;
      const [again] = second.store.receive(restored);
      expect(again?.message).toMatchObject({ messageId: kept.messageId, receiveCount: 2 });
      expect(again?.message.md5OfMessageAttributes).toBe(kept.md5OfMessageAttributes);
      // The stale handle from before the restart no longer deletes it; the journal was compacted.
      second.store.deleteMessage(restored, inFlight?.receiptHandle ?? "");
      expect(restored.messages.size).toBe(1);
      await second.durable.close();
      // Only now the first's files (its journal, renamed over by the second's compaction): left open until the
      // garbage collector closed them, they printed Node's DEP0137 warning in the middle of CI logs.
      first.store.close();
      await first.durable.close();
      expect(readFileSync(path, "utf8").split("\n").filter(Boolean).length).toBeLessThanOrEqual(4);
      expect(second.notices).toEqual([
        expect.stringMatching(/^sqs: dropped a torn tail of 38 byte\(s\) at the end of .*journal\.log/),
      ]);
    });
  });
});
