import { describe, expect, it } from "vitest";
import {
  formatConsoleLine,
  newLogStreamName,
  reportLine,
  startLine,
  timeoutLine,
} from "../../src/engine/lambda/function-logs.ts";

const time = Date.parse("2026-11-25T12:00:00.000Z");
const requestId = "8f5a0a4e-4d62-4b0a-9d3c-2a1f0e5b7c11";

describe("Function: formatConsoleLine", () => {
  it("prefixes text like the Node.js runtime", () => {
    // Act
    const line = formatConsoleLine(time, requestId, "INFO", "hello");

    // Assess
    expect(line).toBe(`2026-11-25T12:00:00.000Z\t${requestId}\tINFO\thello`);
  });

  it("keeps JSON lines from structured loggers as they are", () => {
    // Prepare
    const json = '{"level":"INFO","message":"processed","service":"ingest"}';

    // Act
    const line = formatConsoleLine(time, requestId, "INFO", json);

    // Assess
    expect(line).toBe(json);
  });

  it("prints undefined as the request ID outside an invocation", () => {
    // Act
    const line = formatConsoleLine(time, undefined, "WARN", "init");

    // Assess
    expect(line).toBe("2026-11-25T12:00:00.000Z\tundefined\tWARN\tinit");
  });
});

describe("Function: reportLine", () => {
  it("reports a warm invocation", () => {
    // Act
    const line = reportLine({ requestId, durationMs: 12.341, memorySizeMb: 128, maxMemoryUsedMb: 64 });

    // Assess
    expect(line).toBe(
      `REPORT RequestId: ${requestId}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB`,
    );
  });

  it("adds the init duration on a cold start", () => {
    // Act
    const line = reportLine({
      requestId,
      durationMs: 1,
      memorySizeMb: 256,
      maxMemoryUsedMb: 70,
      initDurationMs: 123.456,
    });

    // Assess
    expect(line.endsWith("\tInit Duration: 123.46 ms")).toBe(true);
  });
});

describe("Function: runtime lines", () => {
  it("formats START and the timeout line", () => {
    // Act
    const start = startLine(requestId);
    const timeout = timeoutLine(time, requestId, 3);

    // Assess
    expect(start).toBe(`START RequestId: ${requestId} Version: $LATEST`);
    expect(timeout).toBe(`2026-11-25T12:00:00.000Z ${requestId} Task timed out after 3.00 seconds`);
  });

  it("names streams YYYY/MM/DD/[$LATEST]<32 hex>", () => {
    // Act
    const name = newLogStreamName(new Date(time));

    // Assess
    expect(name).toMatch(/^2026\/11\/25\/\[\$LATEST\][0-9a-f]{32}$/);
  });
});
