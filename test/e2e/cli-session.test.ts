import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasStackTrace, parseJson, runCli, startCli, useCliCleanup } from "../helpers/cli.ts";
import { dynamoDbBackends } from "../helpers/engine.ts";

describe.each(dynamoDbBackends)("CLI: a new user's session (DynamoDB: %s)", (backend) => {
  useCliCleanup();
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "pipeline-cli-session-"));
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("up, upload fixtures --wait, verify --report, down: all green in under 60 s", async () => {
    const started = performance.now();
    const report = join(scratch, "report");

    const up = startCli(["--json", "up", "--port", "0", "--dynamodb", backend]);
    const ready = await up.waitForJson((l) => l.event === "ready");
    const readyMs = performance.now() - started;
    const endpoint = String(ready.endpoint);
    const upload = await runCli(["--endpoint", endpoint, "--json", "upload", "fixtures", "--wait"]);
    const verify = await runCli(["--endpoint", endpoint, "verify", "--report", report]);
    const down = await runCli(["--endpoint", endpoint, "down"]);
    const stopped = await up.stop("SIGINT");
    const elapsedMs = performance.now() - started;

    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `new user's session (${backend}): ${s(elapsedMs)} (up ready ${s(readyMs)}, upload --wait ${s(upload.durationMs)}, ` +
        `verify --report ${s(verify.durationMs)}, down ${s(down.durationMs)})`,
    );
    expect(upload.code, upload.stderr).toBe(0);
    const uploaded = parseJson<{ uploaded: Array<{ record: unknown }>; missingRecords: number }>(upload);
    expect(uploaded.uploaded).toHaveLength(8);
    expect(uploaded.missingRecords).toBe(0);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain("all 17 checks passed");
    expect(await readFile(join(report, "evidence.md"), "utf8")).toContain("**17/17 passed**");
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe("stack removed\n");
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const stderr of [upload.stderr, verify.stderr, down.stderr, stopped.stderr])
      expect(hasStackTrace(stderr)).toBe(false);
    expect(elapsedMs).toBeLessThan(60_000);
  });
});
