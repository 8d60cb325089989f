import { describe, expect, it } from "vitest";
import { FlowModel } from "../../src/dashboard/flow.ts";
import { LogActivityTranslator } from "../../src/dashboard/remote/log-activity.ts";
import { diffUploads } from "../../src/dashboard/remote/uploads.ts";
import type { LogEvent } from "../../src/pipeline/logs.ts";

const bucket = "image-uploads";
const group = "/aws/lambda/image-metadata-ingest";
const stream = "2026/11/25/[$LATEST]abc";

let nextId = 1;
const line = (timestamp: number, message: string, logStream = stream): LogEvent => ({
  timestamp,
  stream: logStream,
  message,
  eventId: String(nextId++),
});
const start = (t: number, id: string) => line(t, `START RequestId: ${id} Version: $LATEST`);
const end = (t: number, id: string) => line(t, `END RequestId: ${id}`);
const report = (t: number, id: string, init = false) =>
  line(
    t,
    `REPORT RequestId: ${id}\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB${
      init ? "\tInit Duration: 150.00 ms" : ""
    }`,
  );
const outcome = (t: number, id: string, key: string, result: string, extra: Record<string, unknown> = {}) =>
  line(
    t,
    JSON.stringify({
      level: "INFO",
      message: "record",
      requestId: id,
      bucket,
      key,
      outcome: result,
      ...extra,
    }),
  );
const invokeError = (t: number, id: string) =>
  line(
    t,
    `2026-11-25T00:00:00.000Z\t${id}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: "BatchProcessingError", errorMessage: "1 of 1 records failed" })}`,
  );

/** A translator and a model wired together, as RemoteFeed wires them. */
function pipeline() {
  const translator = new LogActivityTranslator({
    functionName: "image-metadata-ingest",
    bucket,
    logGroup: group,
  });
  const model = new FlowModel({ bucket, logGroup: group, now: () => 0 });
  const feed = (events: LogEvent[]) => {
    const activities = translator.translate(events);
    for (const a of activities) model.activity(a.event, a.at);
    return activities;
  };
  return { translator, model, feed };
}

describe("Class: LogActivityTranslator", () => {
  describe("Method: translate", () => {
    it("turns one invocation's lines into a delivery with a cold run and its outcome, at the logged times", () => {
      // Prepare
      const { model, feed } = pipeline();

      // Act
      const activities = feed([
        start(1000, "r1"),
        outcome(1100, "r1", "uploads/cat.jpg", "written"),
        end(1110, "r1"),
        report(1111, "r1", true),
      ]);

      // Assess
      expect(activities.map((a) => a.event.kind)).toEqual([
        "s3.delivery.queued",
        "invoke.start",
        "log",
        "invoke.end",
      ]);
      const [row] = model.rows();
      expect(row).toMatchObject({ key: "uploads/cat.jpg", status: "written" });
      expect(row?.deliveries[0]).toMatchObject({
        requestId: "r1",
        source: "s3",
        queuedAt: 1000,
        invocations: [
          { attempt: 1, startedAt: 1000, endedAt: 1111, cold: true, durationMs: 12.5, outcome: "success" },
        ],
        record: { outcome: "written", at: 1100 },
      });
    });

    it("holds a START until a later poll names the object, and marks the run cold from its REPORT", () => {
      // Prepare
      const { model, feed } = pipeline();

      // Act
      const first = feed([start(1000, "r1")]);
      const second = feed([outcome(1100, "r1", "uploads/cat.jpg", "written"), report(1111, "r1", true)]);

      // Assess
      expect(first).toEqual([]);
      expect(second.map((a) => a.event.kind)).toEqual([
        "s3.delivery.queued",
        "invoke.start",
        "log",
        "invoke.end",
      ]);
      expect(model.rows()[0]?.deliveries[0]?.invocations[0]).toMatchObject({ cold: true, startedAt: 1000 });
    });

    it("shows a run already claimed before its REPORT as cold once the REPORT says so", () => {
      // Prepare
      const { model, feed } = pipeline();

      // Act
      feed([start(1000, "r1"), outcome(1100, "r1", "uploads/cat.jpg", "written")]);
      const running = model.rows()[0]?.deliveries[0]?.invocations[0]?.cold;
      feed([end(1110, "r1"), report(1111, "r1", true)]);

      // Assess
      expect(running).toBe(false);
      expect(model.rows()[0]?.deliveries[0]?.invocations[0]?.cold).toBe(true);
    });

    it("counts retries of one async event (same request ID) as attempts, with the runtime's error", () => {
      // Prepare
      const { model, feed } = pipeline();
      const failedAttempt = (t: number) => [
        start(t, "r1"),
        outcome(t + 10, "r1", "uploads/sunset.png", "failed", { errorMessage: "Access Denied" }),
        invokeError(t + 11, "r1"),
        end(t + 12, "r1"),
        report(t + 13, "r1"),
      ];

      // Act
      feed([...failedAttempt(1000), ...failedAttempt(2000)]);
      const afterTwo = model.rows()[0];
      feed([start(3000, "r1"), outcome(3010, "r1", "uploads/sunset.png", "written"), report(3013, "r1")]);

      // Assess
      expect(afterTwo?.status).toBe("failed");
      expect(afterTwo?.deliveries[0]?.invocations).toEqual([
        expect.objectContaining({
          attempt: 1,
          outcome: "error",
          error: "BatchProcessingError: 1 of 1 records failed",
        }),
        expect.objectContaining({ attempt: 2, outcome: "error" }),
      ]);
      const [row] = model.rows();
      expect(row?.deliveries).toHaveLength(1);
      expect(row?.deliveries[0]?.invocations.at(-1)).toMatchObject({ attempt: 3, outcome: "success" });
      expect(row?.status).toBe("written");
    });

    it("reads a timeout from the runtime's line", () => {
      // Prepare
      const { model, feed } = pipeline();

      // Act
      feed([
        start(1000, "r1"),
        outcome(1001, "r1", "uploads/slow.jpg", "failed"),
        line(4000, "2026-11-25T00:00:04.000Z r1 Task timed out after 3.00 seconds"),
        end(4001, "r1"),
        report(4002, "r1"),
      ]);

      // Assess
      expect(model.rows()[0]?.deliveries[0]?.invocations[0]).toMatchObject({
        outcome: "timeout",
        error: "Task timed out after 3.00 seconds",
      });
    });

    it("passes a claimed request ID (a re-drive) straight through, without queueing another delivery", () => {
      // Prepare
      const { translator } = pipeline();
      translator.claim("redrive-1");

      // Act
      const activities = translator.translate([start(1000, "redrive-1"), report(1010, "redrive-1")]);

      // Assess
      expect(activities.map((a) => a.event.kind)).toEqual(["invoke.start", "invoke.end"]);
    });

    it("ignores invocations about other buckets and lines that name no object", () => {
      // Prepare
      const { feed } = pipeline();

      // Act
      const activities = feed([
        start(1000, "r1"),
        line(
          1001,
          JSON.stringify({ requestId: "r1", bucket: "other", key: "uploads/x.jpg", outcome: "written" }),
        ),
        line(1002, JSON.stringify({ requestId: "r1", message: "invocation summary", written: 1 })),
        report(1003, "r1"),
      ]);

      // Assess
      expect(activities).toEqual([]);
    });
  });
});

describe("Function: diffUploads", () => {
  it("reports new and rewritten objects, oldest first, and nothing for unchanged ones", () => {
    // Prepare
    const a = { key: "uploads/a.jpg", eTag: "e1", size: 1, lastModified: 2000 };
    const b = { key: "uploads/b.jpg", eTag: "e2", size: 1, lastModified: 1000 };
    const first = diffUploads(new Map(), [a, b]);

    // Act
    const unchanged = diffUploads(first.known, [a, b]);
    const rewritten = diffUploads(first.known, [{ ...a, eTag: "e3", lastModified: 3000 }, b]);

    // Assess
    expect(first.changed.map((o) => o.key)).toEqual(["uploads/b.jpg", "uploads/a.jpg"]);
    expect(unchanged.changed).toEqual([]);
    expect(rewritten.changed.map((o) => o.eTag)).toEqual(["e3"]);
  });
});
