import { InvokeCommand, LogType } from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { stripETagQuotes } from "../../src/function/record.ts";
import { parseJsonLogLine } from "../../src/pipeline/logs.ts";
import { getRecord, recordsForKey } from "../../src/pipeline/records.ts";
import { syntheticObjectCreatedEvent } from "../../src/pipeline/synthetic-event.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { useEngine } from "../helpers/engine.ts";
import { loadEvent } from "../helpers/events.ts";
import { invocationLogEvents } from "../helpers/logs.ts";
import { eventually, provisionPipeline } from "../helpers/pipeline.ts";

const stack = defineStack();
// Outside the notification's prefix: no S3 event fires for it, so only the batch below can write its record.
const goodKey = "direct/events/good photo+1 é.jpg";

type Json = Record<string, unknown>;
type S3Record = Json & { s3: Json & { bucket: Json; object: Json } };

/** A valid ObjectCreated record (from the put-simple fixture) with parts changed or removed. */
function putRecord(change: (record: S3Record) => void = () => undefined): S3Record {
  const record = structuredClone((loadEvent("put-simple") as { Records: S3Record[] }).Records[0]) as S3Record;
  change(record);
  return record;
}

/** Each bad payload, and the skip outcome the function must log for it. */
const badEvents: Array<[string, unknown, string]> = [
  ["null", null, "skipped:malformed"],
  ["an array", [], "skipped:malformed"],
  ["a string", "x", "skipped:malformed"],
  ["an empty object", {}, "skipped:malformed"],
  ["Records that is not an array", { Records: "no" }, "skipped:malformed"],
  [
    "a record without s3",
    {
      Records: [
        putRecord((r) => {
          delete (r as Json).s3;
        }),
      ],
    },
    "skipped:malformed",
  ],
  [
    "a record without s3.bucket",
    {
      Records: [
        putRecord((r) => {
          delete (r.s3 as Json).bucket;
        }),
      ],
    },
    "skipped:malformed",
  ],
  [
    "a record without s3.object.key",
    {
      Records: [
        putRecord((r) => {
          delete r.s3.object.key;
        }),
      ],
    },
    "skipped:malformed",
  ],
  [
    "a record with an empty bucket name",
    {
      Records: [
        putRecord((r) => {
          r.s3.bucket.name = "";
        }),
      ],
    },
    "skipped:malformed",
  ],
  [
    "a record without eventName",
    {
      Records: [
        putRecord((r) => {
          delete (r as Json).eventName;
        }),
      ],
    },
    "skipped:malformed",
  ],
  [
    "a key with broken percent-encoding",
    {
      Records: [
        putRecord((r) => {
          r.s3.object.key = "uploads/broken%E0%A4%A.jpg";
        }),
      ],
    },
    "skipped:undecodable-key",
  ],
  ["an SQS message", loadEvent("sqs-message"), "skipped:not-s3"],
  ["s3:TestEvent", loadEvent("test-event"), "skipped:test-event"],
  ["ObjectRemoved", loadEvent("object-removed"), "skipped:not-object-created"],
  ["a record for another bucket", loadEvent("other-bucket"), "skipped:unexpected-bucket"],
];

interface Invocation {
  functionError: string | undefined;
  payload: Json | undefined;
  requestId: string;
  /** Every structured (JSON) line the invocation logged, from CloudWatch Logs. */
  lines: Json[];
}

describe("Events: the function skips malformed and foreign events without failing", () => {
  const target = useEngine({ lambda: { retryBaseDelayMs: 20 } });
  let goodEtag = "";

  /** Invokes the function synchronously (LogType Tail) and collects its log lines by request ID. */
  async function invoke(payload: unknown): Promise<Invocation> {
    const response = await target.clients.lambda.send(
      new InvokeCommand({
        FunctionName: stack.functionName,
        InvocationType: "RequestResponse",
        LogType: LogType.Tail,
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const tail = Buffer.from(response.LogResult ?? "", "base64").toString("utf8");
    const requestId = /REPORT RequestId: (\S+)/.exec(tail)?.[1];
    expect(requestId, `no REPORT line in the log tail:\n${tail}`).toBeDefined();
    const text = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
    // The tail holds the last 4 KB only; read the whole invocation from CloudWatch Logs (poll: logs trail).
    const lines = await eventually(
      `log lines of ${requestId}`,
      async () => {
        // The invocation's own lines in its stream, START to REPORT: no filter pattern (LocalStack ignores them).
        const events = await invocationLogEvents(
          target.clients,
          stack.logGroupName,
          String(requestId),
          Date.now() - 120_000,
        );
        return events?.flatMap((e) => {
          const line = parseJsonLogLine(e.message);
          return line ? [line] : [];
        });
      },
      { timeoutMs: 15_000 },
    );
    return {
      functionError: response.FunctionError,
      payload: text ? (JSON.parse(text) as Json) : undefined,
      requestId: String(requestId),
      lines,
    };
  }

  const outcomesOf = (invocation: Invocation) =>
    invocation.lines.filter((l) => typeof l.outcome === "string").map((l) => String(l.outcome));

  beforeAll(async () => {
    await provisionPipeline(target.clients, stack);
    const put = await target.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: goodKey,
        Body: Buffer.from("\xff\xd8\xff\xe0 good event fixture", "latin1"),
        ContentType: "image/jpeg",
      }),
    );
    goodEtag = stripETagQuotes(put.ETag ?? "");
  });

  it.each(badEvents)("skips %s and logs the reason", async (_name, payload, outcome) => {
    // Act
    const invocation = await invoke(payload);
    // Assess
    expect(invocation.functionError).toBeUndefined();
    expect(invocation.payload).toMatchObject({ written: 0, duplicate: 0, skipped: 1, failed: 0 });
    expect(outcomesOf(invocation)).toEqual([outcome]);
    const skipped = invocation.lines.find((l) => l.outcome === outcome);
    expect(skipped).toMatchObject({ level: "WARN", requestId: invocation.requestId });
    expect(String(skipped?.reason ?? "")).not.toBe("");
  });

  it("treats empty Records as nothing to do: no skip, no error, a summary of 0", async () => {
    const invocation = await invoke(loadEvent("empty-records"));
    expect(invocation.functionError).toBeUndefined();
    expect(invocation.payload).toEqual({ written: 0, duplicate: 0, skipped: 0, failed: 0 });
    expect(outcomesOf(invocation)).toEqual([]);
    expect(invocation.lines.find((l) => l.message === "invocation summary")).toMatchObject({ total: 0 });
  });

  it("writes the good record of a batch mixing it with every bad record shape", async () => {
    // Prepare: every record-level bad shape, with the good record in the middle.
    const bad = badEvents.flatMap(([, payload, outcome]) => {
      const records = (payload as { Records?: unknown } | null)?.Records;
      return Array.isArray(records) ? records.map((record) => ({ record, outcome })) : [];
    });
    const good = syntheticObjectCreatedEvent({
      region: stack.region,
      bucket: stack.bucket,
      key: goodKey,
      etag: goodEtag,
      size: 0,
      configurationId: stack.notification.id,
    }).Records[0];
    const half = Math.floor(bad.length / 2);
    const batch = {
      Records: [...bad.slice(0, half).map((b) => b.record), good, ...bad.slice(half).map((b) => b.record)],
    };
    expect(await getRecord(target.clients, stack, goodKey, goodEtag)).toBeUndefined();
    // Act
    const invocation = await invoke(batch);
    // Assess
    expect(invocation.functionError).toBeUndefined();
    expect(invocation.payload).toEqual({ written: 1, duplicate: 0, skipped: bad.length, failed: 0 });
    expect(outcomesOf(invocation).sort()).toEqual([...bad.map((b) => b.outcome), "written"].sort());
    const indexes = invocation.lines
      .filter((l) => String(l.outcome).startsWith("skipped:"))
      .map((l) => Number(l.recordIndex))
      .sort((a, b) => a - b);
    expect(indexes).toEqual([...Array(bad.length + 1).keys()].filter((i) => i !== half));
    expect(await getRecord(target.clients, stack, goodKey, goodEtag)).toMatchObject({
      key: goodKey,
      etag: goodEtag,
      requestId: invocation.requestId,
    });
    // Re-sent, the same batch writes nothing new: the good record is now a duplicate.
    const again = await invoke(batch);
    expect(again.functionError).toBeUndefined();
    expect(again.payload).toEqual({ written: 0, duplicate: 1, skipped: bad.length, failed: 0 });
    expect(await recordsForKey(target.clients, stack, goodKey)).toHaveLength(1);
  });
});
