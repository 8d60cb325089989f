import { describe, expect, it } from "vitest";
import { deadLetterAttributes, invocationRecord } from "../../src/engine/lambda/invocation-record.ts";

const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:thumbnailer";
const timestamp = new Date("2026-11-29T23:30:00.123Z");
const event = JSON.stringify({ Records: [{ s3: { object: { key: "a.jpg" } } }] });

describe("Function: invocationRecord", () => {
  it("writes AWS's record for an event whose retries ran out", () => {
    // Act
    const record = invocationRecord({
      requestId: "req-1",
      functionArn,
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
      requestPayload: event,
      response: { ok: false, error: { errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] } },
      timestamp,
    });

    // Assess
    expect(record).toEqual({
      version: "1.0",
      timestamp: "2026-11-29T23:30:00.123Z",
      requestContext: {
        requestId: "req-1",
        functionArn: `${functionArn}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { Records: [{ s3: { object: { key: "a.jpg" } } }] },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] },
    });
  });

  it("writes the function's result and no functionError on success", () => {
    // Act
    const record = invocationRecord({
      requestId: "req-2",
      functionArn,
      condition: "Success",
      approximateInvokeCount: 1,
      requestPayload: "{}",
      response: { ok: true, payload: '{"thumbnails":2}' },
      timestamp,
    });

    // Assess
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: "$LATEST" });
    expect(record.responsePayload).toEqual({ thumbnails: 2 });
    expect(record.requestContext).toMatchObject({ condition: "Success", approximateInvokeCount: 1 });
  });

  it("reports a service failure by its status code, and an expired event without any response", () => {
    // Act
    const service = invocationRecord({
      requestId: "req-3",
      functionArn,
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
      requestPayload: "not json",
      response: {
        ok: false,
        statusCode: 400,
        error: { errorType: "InvalidParameterValueException", errorMessage: "cannot assume" },
      },
      timestamp,
    });
    const expired = invocationRecord({
      requestId: "req-4",
      functionArn,
      condition: "EventAgeExceeded",
      approximateInvokeCount: 0,
      requestPayload: "",
      timestamp,
    });

    // Assess
    expect(service.responseContext).toEqual({ statusCode: 400, executedVersion: "$LATEST" });
    expect(service.requestPayload).toBe("not json");
    expect(expired).toEqual({
      version: "1.0",
      timestamp: "2026-11-29T23:30:00.123Z",
      requestContext: {
        requestId: "req-4",
        functionArn: `${functionArn}:$LATEST`,
        condition: "EventAgeExceeded",
        approximateInvokeCount: 0,
      },
      requestPayload: null,
    });
  });
});

describe("Function: deadLetterAttributes", () => {
  it("carries RequestID, ErrorCode and the first kilobyte of ErrorMessage, cut on a character boundary", () => {
    // Prepare: 1023 ASCII bytes then a 2-byte character straddling the 1 KB limit.
    const long = `${"x".repeat(1023)}é and more`;

    // Act
    const attributes = deadLetterAttributes("req-1", {
      ok: false,
      error: { errorType: "Error", errorMessage: long },
    });

    // Assess
    expect(attributes.RequestID).toEqual({ DataType: "String", StringValue: "req-1" });
    expect(attributes.ErrorCode).toEqual({ DataType: "Number", StringValue: "200" });
    expect(attributes.ErrorMessage?.StringValue).toBe("x".repeat(1023));
  });
});
