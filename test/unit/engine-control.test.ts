import { describe, expect, it } from "vitest";
import { eventObjectKeys, failedEventViews } from "../../src/engine/control.ts";
import { loadEvent } from "../helpers/events.ts";

describe("Function: failedEventViews", () => {
  it("names the decoded object keys of each failed S3 event, newest failure first", () => {
    // Prepare
    const payload = loadEvent("aws-s3-put-sample") as { Records: Array<{ s3: { object: { key: string } } }> };
    const first = payload.Records[0];
    if (first) first.s3.object.key = "uploads/my+cat%2B1.jpg";
    const base = {
      functionName: "fn",
      attempts: 3,
      errorType: "BatchProcessingError",
      errorMessage: "failed",
      requestIds: ["r"],
      firstAttemptAt: "t0",
      failedAt: "t1",
    };

    // Act
    const views = failedEventViews([
      { ...base, id: "old", payload },
      { ...base, id: "new", payload: { not: "s3" } },
    ]);

    // Assess
    expect(views.map((v) => [v.id, v.keys])).toEqual([
      ["new", []],
      ["old", ["uploads/my cat+1.jpg"]],
    ]);
    expect(eventObjectKeys(null)).toEqual([]);
  });

  it("keeps a key with a malformed escape as it is", () => {
    // Prepare
    const payload = { Records: [{ s3: { object: { key: "uploads/100%.jpg" } } }] };

    // Act
    const keys = eventObjectKeys(payload);

    // Assess
    expect(keys).toEqual(["uploads/100%.jpg"]);
  });
});
