import { describe, expect, it } from "vitest";
import { FlowModel } from "../../src/dashboard/flow.ts";
import { parseFunctionLogLine } from "../../src/dashboard/function-log.ts";
import { uploadContentType, uploadKey } from "../../src/dashboard/upload.ts";
import type { ActivityEvent, InvokeOutcome } from "../../src/engine/activity.ts";
import type { ObjectCreatedEvent } from "../../src/engine/types.ts";

const bucket = "image-uploads";
const group = "/aws/lambda/image-metadata-ingest";

/** A fake clock that moves only when told, so step latencies are exact. */
function fakeClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function created(key: string, sequencer = "0001"): ObjectCreatedEvent {
  return {
    eventName: "ObjectCreated:Put",
    bucket,
    key,
    size: 1234,
    eTag: '"abc123"',
    sequencer,
    eventTime: "2026-11-25T00:00:00.000Z",
    requestId: "s3-request",
    sourceIp: "127.0.0.1",
    principalId: "000000000000",
  };
}

const functionName = "image-metadata-ingest";
const queued = (key: string, requestId: string, copy = 1): ActivityEvent => ({
  kind: "s3.delivery.queued",
  bucket,
  key,
  functionName,
  requestId,
  copy,
  delayMs: 0,
});
const start = (requestId: string, cold = true): ActivityEvent => ({
  kind: "invoke.start",
  functionName,
  requestId,
  cold,
});
const end = (requestId: string, outcome: InvokeOutcome = "success", error?: string): ActivityEvent => ({
  kind: "invoke.end",
  functionName,
  requestId,
  cold: true,
  durationMs: 12.5,
  outcome,
  ...(error ? { error } : {}),
});

/** One Powertools line as the function writes it. */
function logLine(fields: Record<string, unknown>, logGroup = group): ActivityEvent {
  return {
    kind: "log",
    group: logGroup,
    stream: "2026/11/25/[$LATEST]abc",
    events: [
      { timestamp: 1, message: "START RequestId: x Version: $LATEST" },
      {
        timestamp: 2,
        message: JSON.stringify({ level: "INFO", message: "record written", service: "ingest", ...fields }),
      },
    ],
  };
}
const outcomeLine = (requestId: string, key: string, outcome: string) =>
  logLine({ requestId, bucket, key, outcome, pk: `IMG#${bucket}#${key}`, sk: "META#abc123" });

describe("Class: FlowModel", () => {
  describe("Method: objectCreated", () => {
    it("adds one row per upload of the tracked bucket", () => {
      // Prepare
      const model = new FlowModel({ bucket, now: fakeClock().now });

      // Act
      const update = model.objectCreated(created("uploads/cat.jpg"));
      const foreign = model.objectCreated({ ...created("x.jpg"), bucket: "other" });

      // Assess
      expect(update.rows).toHaveLength(1);
      expect(update.rows[0]).toMatchObject({
        key: "uploads/cat.jpg",
        eTag: "abc123",
        size: 1234,
        status: "uploaded",
        uploadedAt: 1_000,
      });
      expect(foreign.rows).toEqual([]);
      expect(model.rows()).toHaveLength(1);
    });

    it("completes the row a delivery created before the upload event arrived", () => {
      // Prepare
      const model = new FlowModel({ bucket, now: fakeClock().now });
      model.activity(queued("uploads/cat.jpg", "r1"));

      // Act
      model.objectCreated(created("uploads/cat.jpg"));

      // Assess
      const rows = model.rows();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.sequencer).toBe("0001");
      expect(rows[0]?.deliveries.map((d) => d.requestId)).toEqual(["r1"]);
    });
  });

  describe("Method: activity", () => {
    it("follows an upload to a written record with each step's time", () => {
      // Prepare
      const clock = fakeClock();
      const model = new FlowModel({ bucket, logGroup: group, now: clock.now });
      model.objectCreated(created("uploads/cat.jpg"));

      // Act
      clock.advance(2);
      const afterQueue = model.activity(queued("uploads/cat.jpg", "r1"));
      clock.advance(3);
      const afterStart = model.activity(start("r1"));
      clock.advance(40);
      const afterLog = model.activity(outcomeLine("r1", "uploads/cat.jpg", "written"));
      clock.advance(1);
      model.activity(end("r1"));

      // Assess
      expect(afterQueue.rows[0]?.status).toBe("queued");
      expect(afterStart.rows[0]?.status).toBe("running");
      expect(afterLog.recordWritten).toBe(true);
      const [row] = model.rows();
      expect(row?.status).toBe("written");
      const delivery = row?.deliveries[0];
      expect(delivery).toMatchObject({ source: "s3", queuedAt: 1_002, state: "written" });
      expect(delivery?.invocations).toEqual([
        { attempt: 1, startedAt: 1_005, endedAt: 1_046, cold: true, durationMs: 12.5, outcome: "success" },
      ]);
      expect(delivery?.record).toEqual({
        outcome: "written",
        at: 1_045,
        pk: "IMG#image-uploads#uploads/cat.jpg",
        sk: "META#abc123",
      });
    });

    it("adds a direct re-invocation with the same event to the object's row as a duplicate", () => {
      // Prepare
      const model = new FlowModel({ bucket, logGroup: group, now: fakeClock().now });
      model.objectCreated(created("uploads/cat.jpg"));
      model.activity(queued("uploads/cat.jpg", "r1"));
      model.activity(start("r1"));
      model.activity(outcomeLine("r1", "uploads/cat.jpg", "written"));
      model.activity(end("r1"));

      // Act
      const unclaimed = model.activity(start("direct", false));
      const claimed = model.activity(outcomeLine("direct", "uploads/cat.jpg", "duplicate"));
      const ended = model.activity(end("direct"));

      // Assess
      expect(unclaimed.rows).toEqual([]);
      expect(claimed.rows).toHaveLength(1);
      expect(ended.rows).toHaveLength(1);
      const [row] = model.rows();
      expect(row?.status).toBe("written");
      expect(row?.duplicates).toBe(1);
      expect(row?.deliveries[1]).toMatchObject({
        source: "invoke",
        requestId: "direct",
        state: "duplicate",
        invocations: [expect.objectContaining({ cold: false, outcome: "success" })],
      });
    });

    it("counts duplicate S3 delivery copies", () => {
      // Prepare
      const model = new FlowModel({ bucket, logGroup: group, now: fakeClock().now });
      model.objectCreated(created("uploads/cat.jpg"));

      // Act
      model.activity(queued("uploads/cat.jpg", "r1", 1));
      model.activity(queued("uploads/cat.jpg", "r2", 2));
      model.activity(outcomeLine("r2", "uploads/cat.jpg", "written"));
      model.activity(outcomeLine("r1", "uploads/cat.jpg", "duplicate"));

      // Assess
      const [row] = model.rows();
      expect(row?.deliveries.map((d) => [d.copy, d.state])).toEqual([
        [1, "duplicate"],
        [2, "written"],
      ]);
      expect(row?.duplicates).toBe(1);
      expect(row?.status).toBe("written");
    });

    it("shows retries, the failure and a re-drive that writes the record", () => {
      // Prepare
      const model = new FlowModel({ bucket, logGroup: group, now: fakeClock().now });
      model.objectCreated(created("uploads/cat.jpg"));
      model.activity(queued("uploads/cat.jpg", "r1"));
      const error = "BatchProcessingError: 1 of 1 records failed";

      // Act
      model.activity(start("r1"));
      model.activity(outcomeLine("r1", "uploads/cat.jpg", "failed"));
      model.activity(end("r1", "error", error));
      const retrying = model.activity({
        kind: "async.retry",
        functionName,
        requestId: "r1",
        attempt: 1,
        delayMs: 50,
        error,
      });
      model.activity(start("r1", false));
      model.activity(end("r1", "error", error));
      const failed = model.activity({
        kind: "async.failed",
        functionName,
        requestId: "r1",
        failedEventId: "f1",
        attempts: 2,
        error,
      });
      const redriven = model.activity({
        kind: "async.redrive",
        functionName,
        failedEventId: "f1",
        requestId: "r9",
      });
      model.activity(start("r9", false));
      model.activity(outcomeLine("r9", "uploads/cat.jpg", "written"));
      model.activity(end("r9"));

      // Assess
      expect(retrying.rows[0]?.status).toBe("retrying");
      expect(failed.failedChanged).toBe(true);
      expect(failed.rows[0]?.status).toBe("failed");
      expect(redriven.failedChanged).toBe(true);
      expect(redriven.rows[0]?.status).toBe("queued");
      const [row] = model.rows();
      expect(row?.status).toBe("written");
      expect(row?.deliveries.map((d) => [d.source, d.state, d.invocations.length])).toEqual([
        ["s3", "failed", 2],
        ["redrive", "written", 1],
      ]);
      expect(row?.deliveries[0]).toMatchObject({ redrivenAs: "r9", failed: { id: "f1", attempts: 2 } });
    });

    it("marks an event S3 was not allowed to deliver as dropped", () => {
      // Prepare
      const model = new FlowModel({ bucket, now: fakeClock().now });
      model.objectCreated(created("uploads/cat.jpg"));

      // Act
      const update = model.activity({
        kind: "s3.delivery.dropped",
        bucket,
        key: "uploads/cat.jpg",
        destinationArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
        reason: "no resource-based policy",
      });

      // Assess
      expect(update.rows[0]).toMatchObject({
        status: "dropped",
        dropped: { reason: "no resource-based policy" },
      });
    });

    it("ignores other log groups, plain lines and lines without an outcome", () => {
      // Prepare
      const model = new FlowModel({ bucket, logGroup: group, now: fakeClock().now });
      model.objectCreated(created("uploads/cat.jpg"));
      model.activity(queued("uploads/cat.jpg", "r1"));

      // Act
      const foreign = model.activity(
        logLine({ requestId: "r1", key: "uploads/cat.jpg", outcome: "written" }, "/x"),
      );
      const summary = model.activity(logLine({ requestId: "r1", written: 1 }));
      // A kind the flow does not show (a destination delivery) changes no row.
      const unknown = model.activity({
        kind: "async.destination",
        functionName,
        requestId: "r1",
        role: "on-success",
        destinationArn: "arn:aws:sqs:us-east-1:000000000000:done",
        ok: true,
      });

      // Assess
      expect([foreign.rows, summary.rows, unknown.rows]).toEqual([[], [], []]);
      expect(model.rows()[0]?.status).toBe("queued");
    });

    it("keeps at most maxRows rows and forgets the request IDs of evicted ones", () => {
      // Prepare
      const model = new FlowModel({ bucket, maxRows: 3, now: fakeClock().now });
      for (let i = 1; i <= 5; i += 1) {
        model.objectCreated(created(`uploads/${i}.jpg`, String(i)));
        model.activity(queued(`uploads/${i}.jpg`, `r${i}`));
      }

      // Act
      const evicted = model.activity(start("r1"));
      const kept = model.activity(start("r5"));

      // Assess
      expect(model.rows().map((r) => r.key)).toEqual(["uploads/5.jpg", "uploads/4.jpg", "uploads/3.jpg"]);
      expect(evicted.rows).toEqual([]);
      expect(kept.rows).toHaveLength(1);
    });
  });
});

describe("Function: parseFunctionLogLine", () => {
  it("reads the record fields of a Powertools line, falling back to the context's request id", () => {
    // Prepare
    const line = JSON.stringify({
      level: "WARN",
      message: "object no longer exists; skipped",
      function_request_id: "req-1",
      bucket,
      key: "uploads/gone.jpg",
      outcome: "skipped:object-missing",
    });

    // Act
    const facts = parseFunctionLogLine(line);

    // Assess
    expect(facts).toEqual({
      requestId: "req-1",
      bucket,
      key: "uploads/gone.jpg",
      outcome: "skipped:object-missing",
      level: "WARN",
      message: "object no longer exists; skipped",
    });
    expect(parseFunctionLogLine("END RequestId: req-1")).toBeUndefined();
  });
});

describe("Function: uploadKey", () => {
  it.each([
    ["cat.jpg", "uploads/cat.jpg"],
    ["C:\\photos\\my cat.jpg", "uploads/my cat.jpg"],
    ["../../etc/été 猫.jpg", "uploads/été 猫.jpg"],
  ])("puts %j under the upload prefix as %j", (name, key) => {
    expect(uploadKey("uploads/", name)).toBe(key);
  });

  it.each(["", "  ", "dir/", ".."])("refuses the file name %j", (name) => {
    expect(() => uploadKey("uploads/", name)).toThrow(/file name is required/);
  });
});

describe("Function: uploadContentType", () => {
  it("prefers the browser's type and falls back to the extension", () => {
    expect(uploadContentType("a.png", "image/webp")).toBe("image/webp");
    expect(uploadContentType("a.png", "application/octet-stream")).toBe("image/png");
    expect(uploadContentType("a.unknownext", undefined)).toBe("binary/octet-stream");
  });
});
