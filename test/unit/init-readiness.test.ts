import { describe, expect, it } from "vitest";
import { initFailureMessage, judgeInitReady } from "../../src/pipeline/init-readiness.ts";

const script = (name: string, state: string) => ({ stage: "READY", name, state });

describe("Function: judgeInitReady", () => {
  it.each([
    [
      "LocalStack after a failed hook (completed anyway)",
      { completed: true, scripts: [script("10-a.sh", "ERROR")] },
      { kind: "failed", failed: ["10-a.sh"] },
    ],
    [
      "an ERROR while later scripts still run",
      { completed: false, scripts: [script("10-a.sh", "ERROR"), script("20-b.sh", "RUNNING")] },
      { kind: "failed", failed: ["10-a.sh"] },
    ],
    [
      "every script SUCCESSFUL",
      { completed: true, scripts: [script("10-a.sh", "SUCCESSFUL"), script("20-b.sh", "SUCCESSFUL")] },
      { kind: "ready", scripts: ["10-a.sh", "20-b.sh"] },
    ],
    ["no scripts, stage completed", { completed: true, scripts: [] }, { kind: "ready", scripts: [] }],
    [
      "a script still running",
      { completed: false, scripts: [script("10-a.sh", "RUNNING"), script("20-b.sh", "UNKNOWN")] },
      { kind: "pending" },
    ],
    [
      "completed with a script not SUCCESSFUL",
      { completed: true, scripts: [script("10-a.sh", "UNKNOWN")] },
      { kind: "pending" },
    ],
    ["no answer yet", undefined, { kind: "pending" }],
    ["not an object", "Service Unavailable", { kind: "pending" }],
  ])("%s", (_case, body, verdict) => {
    expect(judgeInitReady(body)).toEqual(verdict);
  });
});

describe("Function: initFailureMessage", () => {
  it("names the scripts and where their output is, on one line", () => {
    const message = initFailureMessage("http://localhost:4566", ["10-a.sh", "20-b.sh"]);
    expect(message).toContain("init scripts 10-a.sh, 20-b.sh failed (state ERROR) at http://localhost:4566");
    expect(message).toContain("docker compose logs localstack");
    expect(message).not.toContain("\n");
  });
});
