import { describe, expect, it } from "vitest";
import { describeFaults } from "../../src/pipeline/fault-summary.ts";
import { functionErrorForObject } from "../../src/pipeline/function-failure.ts";

const invokeError = (requestId: string, error: object) =>
  `2026-12-06T05:18:41.586Z\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(error)}`;

describe("functionErrorForObject: why an object has no record, from the function's log lines", () => {
  const batch = (key: string, why: string) =>
    invokeError("r1", {
      errorType: "BatchProcessingError",
      errorMessage: `1 of 1 records failed; first: s3://image-uploads/${key}: ${why}`,
    });

  it("narrows a batch failure to the object's own error, the latest attempt's", () => {
    const lines = [
      batch("uploads/cat.jpg", "S3ServerError: S3 answered HTTP 500 (InternalError) to HeadObject"),
      "REPORT RequestId: r1\tDuration: 3.00 ms",
      batch("uploads/cat.jpg", "S3ServerError: S3 answered HTTP 503 (SlowDown) to HeadObject"),
    ];
    expect(functionErrorForObject(lines, "image-uploads", "uploads/cat.jpg")).toBe(
      "S3ServerError: S3 answered HTTP 503 (SlowDown) to HeadObject",
    );
  });

  it("keeps errorType: errorMessage when the message names the object another way", () => {
    const line = invokeError("r2", {
      errorType: "AccessDenied",
      errorMessage: "not allowed: s3://image-uploads/uploads/dog.jpg",
    });
    expect(functionErrorForObject([line], "image-uploads", "uploads/dog.jpg")).toBe(
      "AccessDenied: not allowed: s3://image-uploads/uploads/dog.jpg",
    );
  });

  it("is undefined for other objects, lines without Invoke Error, and unparseable lines", () => {
    const lines = [
      batch("uploads/other.jpg", "S3ServerError: …"),
      "ERROR record failed outcome=failed key=uploads/cat.jpg s3://image-uploads/uploads/cat.jpg",
      "x\tInvoke Error \t{not json s3://image-uploads/uploads/cat.jpg",
    ];
    expect(functionErrorForObject(lines, "image-uploads", "uploads/cat.jpg")).toBeUndefined();
  });
});

describe("describeFaults: what is injected, in the words of what fails", () => {
  it("names the errors and the share of calls, as a percentage", () => {
    expect(describeFaults({ s3ErrorRate: 1 })).toBe(
      "faults injected: S3 answers 5xx (503 SlowDown or 500 InternalError) to 100% of the function's reads",
    );
    expect(describeFaults({ dynamodbErrorRate: 0.05, deliveryCopies: 3 })).toBe(
      "faults injected: DynamoDB answers ProvisionedThroughputExceededException or 500 InternalServerError to 5% of the function's calls, every S3 event delivered 3 times",
    );
  });

  it("is undefined when nothing is injected", () => {
    expect(describeFaults(undefined)).toBeUndefined();
    expect(describeFaults({ s3ErrorRate: 0, deliveryCopies: 1 })).toBeUndefined();
  });
});
