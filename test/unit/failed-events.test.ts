import { describe, expect, it } from "vitest";
import {
  functionNameOf,
  isSelected,
  parseFailedEventMessage,
  payloadObjects,
} from "../../src/pipeline/failed-events.ts";
import { loadEvent } from "../helpers/events.ts";

const message = (record: unknown, id = "msg-1") => ({
  id,
  body: JSON.stringify(record),
  sentAt: 1_764_000_000_000,
});

describe("Function: parseFailedEventMessage", () => {
  it("reads AWS's invocation record: error, attempts, decoded key and ETag, the original payload", () => {
    // Prepare
    const record = loadEvent("on-failure-retries-exhausted") as { requestPayload: unknown };

    // Act
    const { event, payload } = parseFailedEventMessage(message(record));

    // Assess
    expect(event).toEqual({
      id: "msg-1",
      functionName: "image-metadata-ingest",
      requestId: "8c1f7a52-3e0b-4c59-9a47-2f4d2a7b6e10",
      condition: "RetriesExhausted",
      attempts: 3,
      errorType: "AccessDeniedException",
      errorMessage: expect.stringContaining("not authorized to perform: dynamodb:PutItem"),
      keys: ["uploads/my cat+1 été.jpg"],
      objects: [
        {
          bucket: "image-uploads",
          key: "uploads/my cat+1 été.jpg",
          eTag: "0123456789abcdef0123456789abcdef",
        },
      ],
      failedAt: "2026-11-25T12:03:07.412Z",
    });
    expect(payload).toEqual(record.requestPayload);
  });

  it("says the event expired when Lambda recorded no response (EventAgeExceeded)", () => {
    const { event } = parseFailedEventMessage(message(loadEvent("on-failure-event-age-exceeded")));

    expect(event).toMatchObject({
      condition: "EventAgeExceeded",
      attempts: 0,
      errorType: "EventAgeExceeded",
      errorMessage: "the event was older than the maximum event age",
      keys: ["uploads/my cat+1 été.jpg"],
    });
  });

  it("takes a timeout's message and the function error kind when the payload has no errorType", () => {
    const record = {
      ...(loadEvent("on-failure-retries-exhausted") as object),
      responsePayload: { errorMessage: "2026-11-25T12:00:10.000Z abc Task timed out after 10.00 seconds" },
    };

    const { event } = parseFailedEventMessage(message(record));

    expect(event.errorType).toBe("Unhandled");
    expect(event.errorMessage).toContain("Task timed out");
  });

  it.each([
    ["text that is not JSON", "hello"],
    ["JSON without a requestContext", JSON.stringify({ Records: [] })],
    ["a record without requestPayload", JSON.stringify({ requestContext: { requestId: "r" } })],
  ])("lists %s as unreadable, with no payload to re-drive", (_, body) => {
    const { event, payload } = parseFailedEventMessage({ id: "m", body, sentAt: 0 });

    expect(event).toMatchObject({
      id: "m",
      condition: "unreadable",
      errorType: "UnreadableMessage",
      keys: [],
    });
    expect(event.failedAt).toBe("1970-01-01T00:00:00.000Z");
    expect(payload).toBeUndefined();
  });

  it("lists a non-S3 payload with no keys, still re-drivable", () => {
    const record = { ...(loadEvent("on-failure-retries-exhausted") as object), requestPayload: { hello: 1 } };

    const { event, payload } = parseFailedEventMessage(message(record));

    expect(event.keys).toEqual([]);
    expect(payload).toEqual({ hello: 1 });
  });
});

describe("Function: payloadObjects", () => {
  it("names every object-created record, with its version on a versioned bucket, and skips the test event", () => {
    const put = loadEvent("put-simple") as { Records: Array<{ s3: { object: Record<string, unknown> } }> };
    const versioned = structuredClone(put);
    (versioned.Records[0] as { s3: { object: Record<string, unknown> } }).s3.object.versionId = "v42";

    expect(payloadObjects(versioned)[0]).toMatchObject({ versionId: "v42" });
    expect(payloadObjects(loadEvent("test-event"))).toEqual([]);
    expect(payloadObjects(loadEvent("batch-mixed")).length).toBeGreaterThan(0);
  });
});

describe("Function: functionNameOf", () => {
  it.each([
    ["arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST", "f"],
    ["arn:aws:lambda:us-east-1:000000000000:function:f", "f"],
    ["f", "f"],
  ])("%s -> %s", (arn, name) => {
    expect(functionNameOf(arn)).toBe(name);
  });
});

describe("Function: isSelected", () => {
  it("selects one id, or all", () => {
    const { event } = parseFailedEventMessage(message(loadEvent("on-failure-retries-exhausted"), "a"));

    expect(isSelected(event, { id: "a" })).toBe(true);
    expect(isSelected(event, { id: "b" })).toBe(false);
    expect(isSelected(event, { all: true })).toBe(true);
  });
});
