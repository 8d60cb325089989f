import { describe, expect, it } from "vitest";
import { BatchProcessingError, DuplicateRecordError, ObjectMissingError } from "../../src/function/errors.ts";
import { type IngestLogger, ingestEvent } from "../../src/function/ingest.ts";
import type { ImageMetadataItem, ObjectHead } from "../../src/function/record.ts";
import type { MetadataStore } from "../../src/function/store.ts";
import { loadEvent } from "../helpers/events.ts";

/** In-memory MetadataStore: the adapter boundary is the only place the tests replace. */
function fakeStore(
  options: { missing?: string[]; failHead?: Record<string, Error>; failPut?: Record<string, Error> } = {},
) {
  const items = new Map<string, ImageMetadataItem>();
  const heads: string[] = [];
  const store: MetadataStore = {
    async headObject(bucket, key): Promise<ObjectHead> {
      heads.push(key);
      if (options.missing?.includes(key)) throw new ObjectMissingError(bucket, key);
      const failure = options.failHead?.[key];
      if (failure) throw failure;
      return { eTag: `"etag-${key}"`, contentLength: key.length, contentType: "image/jpeg" };
    },
    async putRecordIfAbsent(item) {
      const failure = options.failPut?.[item.key];
      if (failure) throw failure;
      const id = `${item.PK}|${item.SK}`;
      if (items.has(id)) throw new DuplicateRecordError(item.PK, item.SK);
      items.set(id, item);
    },
  };
  return { store, items, heads };
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; attributes: Record<string, unknown> }> = [];
  const logger: IngestLogger = {
    info: (message, attributes) => lines.push({ level: "info", message, attributes }),
    warn: (message, attributes) => lines.push({ level: "warn", message, attributes }),
    error: (message, attributes) => lines.push({ level: "error", message, attributes }),
  };
  return { logger, lines };
}

describe("Function: ingestEvent", () => {
  it("writes one record per ObjectCreated record", async () => {
    // Prepare
    const { store, items } = fakeStore();
    const { logger, lines } = recordingLogger();
    // Act
    const summary = await ingestEvent(loadEvent("put-encoded-key"), { store, logger, requestId: "r1" });
    // Assess
    expect(summary).toMatchObject({ total: 1, written: 1, duplicate: 0, skipped: 0, failed: 0 });
    expect([...items.values()][0]).toMatchObject({ key: "uploads/my cat+1 été.jpg", requestId: "r1" });
    const written = lines.find((l) => l.attributes.outcome === "written");
    expect(written?.attributes).toMatchObject({
      requestId: "r1",
      bucket: "image-uploads",
      key: "uploads/my cat+1 été.jpg",
      pk: "IMG#image-uploads#uploads/my cat+1 été.jpg",
      sk: "META#etag-uploads/my cat+1 été.jpg",
    });
    expect(lines.at(-1)).toMatchObject({ message: "invocation summary", attributes: { written: 1 } });
  });

  it("counts a redelivered event as a duplicate, not a failure", async () => {
    const { store, items } = fakeStore();
    const { logger, lines } = recordingLogger();
    const event = loadEvent("put-simple");
    await ingestEvent(event, { store, logger, requestId: "first" });
    const second = await ingestEvent(event, { store, logger, requestId: "second" });
    expect(second).toMatchObject({ written: 0, duplicate: 1, failed: 0 });
    expect(items.size).toBe(1);
    expect(lines.filter((l) => l.attributes.outcome === "duplicate")).toHaveLength(1);
  });

  it("treats two copies of a record in one batch as one write and one duplicate", async () => {
    const { store, items } = fakeStore();
    const { logger } = recordingLogger();
    const one = loadEvent("put-simple") as { Records: unknown[] };
    const summary = await ingestEvent(
      { Records: [...one.Records, ...one.Records] },
      { store, logger, requestId: "r" },
    );
    expect(summary).toMatchObject({ written: 1, duplicate: 1 });
    expect(items.size).toBe(1);
  });

  it("skips a vanished object (404 on HeadObject) without failing", async () => {
    const { store } = fakeStore({ missing: ["uploads/cat.jpg"] });
    const { logger, lines } = recordingLogger();
    const summary = await ingestEvent(loadEvent("put-simple"), { store, logger, requestId: "r" });
    expect(summary).toMatchObject({ skipped: 1, failed: 0 });
    expect(lines.some((l) => l.attributes.outcome === "skipped:object-missing")).toBe(true);
  });

  it.each(["test-event", "sqs-message", "object-removed", "empty-records"])(
    "logs and skips %s without calling AWS",
    async (name) => {
      const { store, heads } = fakeStore();
      const { logger } = recordingLogger();
      const summary = await ingestEvent(loadEvent(name), { store, logger, requestId: "r" });
      expect(summary.failed).toBe(0);
      expect(summary.written).toBe(0);
      expect(heads).toEqual([]);
    },
  );

  it("continues past bad records and throws after the batch when a record failed for another reason", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ProvisionedThroughputExceededException",
    });
    const { store, items, heads } = fakeStore({
      missing: ["uploads/gone.jpg"],
      failPut: { "uploads/a.jpg": throttled },
    });
    const { logger, lines } = recordingLogger();
    const run = ingestEvent(loadEvent("batch-mixed"), { store, logger, requestId: "r" });
    await expect(run).rejects.toBeInstanceOf(BatchProcessingError);
    await run.catch((error: BatchProcessingError) => {
      expect(error.failures.map((f) => f.key)).toEqual(["uploads/a.jpg"]);
      expect(error.cause).toBe(throttled);
    });
    // b.jpg after the failure was still attempted and written.
    expect(heads).toEqual(expect.arrayContaining(["uploads/a.jpg", "uploads/gone.jpg", "uploads/b.jpg"]));
    expect([...items.values()].map((i) => i.key)).toEqual(["uploads/b.jpg"]);
    expect(lines.at(-1)?.attributes).toMatchObject({ total: 5, written: 1, skipped: 3, failed: 1 });
  });

  it("fails on AccessDenied from HeadObject so the platform retries", async () => {
    const denied = Object.assign(new Error("not authorized"), { name: "AccessDenied" });
    const { store } = fakeStore({ failHead: { "uploads/cat.jpg": denied } });
    const { logger, lines } = recordingLogger();
    await expect(ingestEvent(loadEvent("put-simple"), { store, logger, requestId: "r" })).rejects.toThrow(
      /AccessDenied/,
    );
    expect(lines.find((l) => l.level === "error")?.attributes).toMatchObject({ errorName: "AccessDenied" });
  });

  it("bounds concurrent AWS calls", async () => {
    let inFlight = 0;
    let peak = 0;
    const store: MetadataStore = {
      async headObject() {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return { eTag: '"e"', contentLength: 1 };
      },
      async putRecordIfAbsent() {},
    };
    const one = (loadEvent("put-simple") as { Records: Array<{ s3: { object: { key: string } } }> })
      .Records[0];
    const records = Array.from({ length: 20 }, (_, i) =>
      structuredClone({ ...one, s3: { ...one?.s3, object: { ...one?.s3.object, key: `k${i}` } } }),
    );
    const { logger } = recordingLogger();
    await ingestEvent({ Records: records }, { store, logger, requestId: "r", concurrency: 3 });
    expect(peak).toBe(3);
  });
});

describe("Adapter: createAwsMetadataStore", () => {
  it("turns a bodiless 403 on HeadObject into a named AccessDenied error", async () => {
    const { createAwsMetadataStore } = await import("../../src/function/store.ts");
    const { ObjectAccessDeniedError } = await import("../../src/function/errors.ts");
    const forbidden = Object.assign(new Error("UnknownError"), {
      name: "403",
      $metadata: { httpStatusCode: 403 },
    });
    const s3 = {
      send: async () => Promise.reject(forbidden),
    } as unknown as import("@aws-sdk/client-s3").S3Client;
    const store = createAwsMetadataStore({ s3, dynamo: {} as never, tableName: "t" });
    const failure = await store.headObject("b", "k").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ObjectAccessDeniedError);
    expect((failure as Error).message).toContain("s3:GetObject");
    expect((failure as Error).cause).toBe(forbidden);
  });

  it("maps a 404 on HeadObject to ObjectMissingError and ConditionalCheckFailedException to DuplicateRecordError", async () => {
    const { createAwsMetadataStore } = await import("../../src/function/store.ts");
    const notFound = Object.assign(new Error("NotFound"), {
      name: "NotFound",
      $metadata: { httpStatusCode: 404 },
    });
    const conditional = Object.assign(new Error("The conditional request failed"), {
      name: "ConditionalCheckFailedException",
    });
    const s3 = {
      send: async () => Promise.reject(notFound),
    } as unknown as import("@aws-sdk/client-s3").S3Client;
    const dynamo = {
      send: async () => Promise.reject(conditional),
    } as unknown as import("@aws-sdk/client-dynamodb").DynamoDBClient;
    const store = createAwsMetadataStore({ s3, dynamo, tableName: "t" });
    await expect(store.headObject("b", "k")).rejects.toBeInstanceOf(ObjectMissingError);
    await expect(store.putRecordIfAbsent({ PK: "p", SK: "s" } as never)).rejects.toBeInstanceOf(
      DuplicateRecordError,
    );
  });
});
