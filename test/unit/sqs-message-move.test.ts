import { afterEach, describe, expect, it, vi } from "vitest";
import { MessageMoveTasks } from "../../src/engine/sqs/message-move.ts";
import { SqsStore } from "../../src/engine/sqs/store.ts";

const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

afterEach(() => {
  vi.useRealTimers();
});

/** A store (on fake timers: the tasks tick on them) with `source`, whose dead-letter queue is `dlq`. */
function deadLetterStore(): SqsStore {
  vi.useFakeTimers();
  const store = new SqsStore({ accountId: "000000000000", region: "us-east-1", queueArn: arnOf });
  store.createQueue("dlq");
  store.createQueue("source", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf("dlq"), maxReceiveCount: 3 }),
  });
  return store;
}

describe("Class: MessageMoveTasks", () => {
  it("keeps a source's 10 latest tasks however many are started, the newest listed first", () => {
    const store = deadLetterStore();
    const tasks = new MessageMoveTasks(store);
    const handles: string[] = [];
    for (let n = 0; n < 25; n++) {
      handles.push(tasks.start(arnOf("dlq"), undefined, undefined).taskHandle);
      // An empty dead-letter queue: the task completes on its first tick.
      vi.advanceTimersByTime(1000);
      expect(tasks.tasksKept(arnOf("dlq"))).toBe(Math.min(n + 1, 10));
    }
    const listed = tasks.list(arnOf("dlq"), 10);
    expect(listed.map((task) => task.taskHandle)).toEqual(handles.slice(-10).reverse());
    expect(listed.every((task) => task.status === "COMPLETED")).toBe(true);
    tasks.close();
  });

  it("forgets a deleted source queue's tasks, the running one included, so a queue made again lists none", () => {
    const store = deadLetterStore();
    for (let n = 0; n < 3; n++)
      store.send(store.requireQueue("dlq"), { body: `m${n}`, attributes: {}, senderId: "000000000000" });
    const tasks = new MessageMoveTasks(store);
    tasks.start(arnOf("dlq"), undefined, 1);
    expect(vi.getTimerCount()).toBe(1);

    store.deleteQueue("dlq");
    tasks.forget(arnOf("dlq"));
    store.createQueue("dlq");

    expect(tasks.tasksKept(arnOf("dlq"))).toBe(0);
    expect(tasks.list(arnOf("dlq"), 10)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
