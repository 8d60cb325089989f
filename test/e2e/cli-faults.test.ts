import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineStack } from "../../src/stack/spec.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type CliProcess, hasStackTrace, runCli, startCli } from "../helpers/cli.ts";
import { eventually } from "../helpers/poll.ts";
import { unusedPort } from "../helpers/ports.ts";

const stack = defineStack();
/** What `up --s3-fault-rate 1` makes every command say about the faults it injects. */
const faultsPhrase =
  "faults injected: S3 answers 5xx (503 SlowDown or 500 InternalError) to 100% of the function's reads";
/** How the function's failure reads, for a key, wherever a user sees it. */
const s3Failure = (key: string) =>
  new RegExp(
    `S3ServerError: S3 answered HTTP 50[03] \\((SlowDown|InternalError)\\) to HeadObject for s3://${stack.bucket}/${key}`,
  );

describe("up --s3-fault-rate 1: the faults said where users look", { timeout: 240_000 }, () => {
  let endpoint: string;
  let up: CliProcess;
  const cli = (args: string[]) => runCli(args, { env: { PIPELINE_ENDPOINT: endpoint }, timeoutMs: 120_000 });

  beforeAll(async () => {
    const port = await unusedPort();
    endpoint = `http://127.0.0.1:${port}`;
    up = startCli(["up", "--port", String(port), "--s3-fault-rate", "1"], { timeoutMs: 900_000 });
    await eventually("up to print its hints", () => (up.stdout.includes("Ctrl-C") ? true : undefined), {
      timeoutMs: 120_000,
    });
  }, 150_000);

  afterAll(async () => {
    await up?.stop();
  });

  it("up's summary has a faults line, and a warning that failures are injected", () => {
    expect(up.stdout).toContain(`  faults     ${faultsPhrase}\n`);
    expect(up.stderr).toContain(`${faultsPhrase}: failures you see are injected`);
  });

  it("upload --wait: the missing record names the function's S3ServerError and the injected faults", async () => {
    const result = await cli(["upload", "fixtures/cat.jpg", "--wait", "--timeout", "10"]);

    expect(result.code, result.stderr).toBe(1);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const missing = result.stdout.split("\n").find((line) => line.includes("missing"));
    expect(missing).toMatch(s3Failure(`${stack.uploadPrefix}cat.jpg`));
    expect(result.stderr.trimEnd().split("\n").at(-1)).toBe(
      `pipeline: 1 record did not appear within 10 s (${faultsPhrase})`,
    );
  });

  it("verify: the record row says why there is none, and the summary names the faults", async () => {
    const result = await cli(["verify", "--timeout", "10"]);

    expect(result.code, result.stderr).toBe(1);
    const record = result.stdout.split("\n").find((line) => line.includes("DynamoDB record for the upload"));
    expect(record).toMatch(/^FAIL/);
    expect(record).toMatch(s3Failure(`${stack.uploadPrefix}verify-probe/[^:]+`));
    expect(result.stdout).toContain(faultsPhrase);
  });

  it("status names the faults", async () => {
    const result = await cli(["status"]);
    expect(result.stdout).toContain(faultsPhrase);
  });

  it.skipIf(!hasChromium)(
    "dashboard (Chromium): the health panel's faults line says what is injected",
    async () => {
      const profile = await mkdtemp(join(tmpdir(), "pipeline-faults-chromium-"));
      const browser = await launchChromium(profile);
      try {
        const page = await browser.newPage();
        await page.goto(`${endpoint}/_pipeline/`);
        const line = page.locator("#health-faults");
        await line.waitFor({ state: "visible" });
        await expect(line.textContent()).resolves.toBe(faultsPhrase);
      } finally {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
      }
    },
  );
});
