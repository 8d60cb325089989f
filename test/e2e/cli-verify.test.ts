import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { listObjects } from "../../src/pipeline/objects.ts";
import { getRecord, scanRecords } from "../../src/pipeline/records.ts";
import type { CheckResult } from "../../src/stack/check.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { hasStackTrace, parseJson, runCli, useCliCleanup } from "../helpers/cli.ts";
import { screenshotDirectories, useEngine } from "../helpers/engine.ts";
import { setExecutionPolicy } from "../helpers/pipeline.ts";
import { targetCapabilities } from "../helpers/target.ts";

const stack = defineStack();
/** In evidence order (01 … 16, then consistency), as verify prints them. */
const allCheckIds = [
  "identity",
  "artifact",
  "table",
  "bucket",
  "block-public-access",
  "default-encryption",
  "function",
  "least-privilege",
  "logs",
  "notification",
  "resource-policy",
  "upload",
  "record",
  "idempotency",
  "on-failure-queue",
  "on-failure-destination",
  "consistency",
];

interface VerifyJson {
  ok: boolean;
  checks: CheckResult[];
  missingRecords: string[];
  orphanRecords: string[];
}

interface ReconcileJson {
  dryRun: boolean;
  missing: Array<{ key: string; etag: string; size: number }>;
  fixed: Array<{ key: string; etag: string }>;
  failed: unknown[];
}

const failing = (json: VerifyJson) => json.checks.filter((c) => !c.ok).map((c) => c.id);

describe("CLI: pipeline verify and reconcile", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);
  let scratch: string;
  let browser: BrowserContext | undefined;
  /** An upload whose record the tests delete and reconcile re-creates. */
  let victim: { key: string; etag: string };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "pipeline-cli-verify-"));
    target.engine?.markReady();
    const up = await cli("up");
    expect(up.code, up.stderr).toBe(0);
    const upload = await cli("--json", "upload", "fixtures/cat.jpg", "fixtures/sunset.png", "--wait");
    expect(upload.code, upload.stderr).toBe(0);
    const uploaded = parseJson<{ uploaded: Array<{ key: string; etag: string }> }>(upload).uploaded;
    const sunset = uploaded.find((u) => u.key === "uploads/sunset.png");
    if (!sunset) throw new Error(`sunset.png was not uploaded: ${upload.stdout}`);
    victim = sunset;
  });

  afterAll(async () => {
    await browser?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("passes every check on a fresh stack and exits 0", async () => {
    const result = await cli("--json", "verify");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<VerifyJson>(result);
    expect(json.ok).toBe(true);
    expect(json.checks.map((c) => c.id)).toEqual(allCheckIds);
    expect(failing(json)).toEqual([]);
    expect(json.missingRecords).toEqual([]);
    // The function item names the Node the embedded engine runs the runtime on, or says that it emulates it; a
    // target that runs the runtime's own image (LocalStack) says nothing of it.
    const functionItem = json.checks.find((c) => c.id === "function")?.observed;
    const runsOn = new RegExp(`; ${stack.runtime.replace(".", "\\.")} (on Node \\d|emulated on Node )`);
    if (targetCapabilities.reportsRuntimeNode) expect(functionItem).toMatch(runsOn);
    else expect(functionItem).not.toMatch(runsOn);
  });

  it("prints a table and a summary line in human mode", async () => {
    const result = await cli("verify", "--skip-probe");

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^PASS {2}01 +Caller identity/m);
    expect(result.stdout).toContain("all 13 checks passed");
  });

  it("--skip-probe uploads nothing and runs no probe checks", async () => {
    const before = await listObjects(target.clients, stack.bucket, stack.uploadPrefix);

    const result = await cli("--json", "verify", "--skip-probe");

    expect(result.code, result.stderr).toBe(0);
    const ids = parseJson<VerifyJson>(result).checks.map((c) => c.id);
    expect(ids).toEqual(
      allCheckIds.filter((id) => !["upload", "record", "logs", "idempotency"].includes(id)),
    );
    expect(await listObjects(target.clients, stack.bucket, stack.uploadPrefix)).toEqual(before);
  });

  // The browser half needs Chromium (pretest installs it as root with apt).
  it.skipIf(!hasChromium)(
    "--report writes evidence.md and evidence.html whose rows say pass in a browser",
    async () => {
      const dir = join(scratch, "report-pass");

      const result = await cli("verify", "--report", dir);

      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`wrote ${join(dir, "evidence.md")} and evidence.html`);
      const markdown = await readFile(join(dir, "evidence.md"), "utf8");
      expect(markdown).toContain(`**${allCheckIds.length}/${allCheckIds.length} passed**`);
      expect(markdown).not.toContain("**FAIL**");
      browser = await launchChromium(join(scratch, "profile"), {
        viewport: { width: 1280, height: 900 },
        colorScheme: "light",
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(`file://${join(dir, "evidence.html")}`);
      const rows = await page
        .locator("tr[data-check][data-result]")
        .evaluateAll((trs) =>
          trs.map((tr) => [tr.getAttribute("data-check"), tr.getAttribute("data-result")]),
        );
      expect(rows).toEqual(allCheckIds.map((id) => [id, "pass"]));
      expect(await page.locator("#status").textContent()).toBe(`17/17 checks passed`);
      for (const path of screenshotDirectories(repoRoot).map((dir) => join(dir, "evidence-report.png"))) {
        await mkdir(join(path, ".."), { recursive: true });
        await page.screenshot({ path, fullPage: true });
      }
    },
  );

  it("fails consistency, naming the key, after a record is deleted (exit 1)", async () => {
    await target.clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: stack.table,
        Key: { PK: { S: `IMG#${stack.bucket}#${victim.key}` }, SK: { S: `META#${victim.etag}` } },
      }),
    );

    const result = await cli("--json", "verify", "--skip-probe", "--report", join(scratch, "report-fail"));

    expect(result.code, result.stderr).toBe(1);
    const json = parseJson<VerifyJson>(result);
    expect(json.ok).toBe(false);
    expect(failing(json)).toEqual(["consistency"]);
    expect(json.checks.find((c) => c.id === "consistency")?.observed).toContain(`no record: ${victim.key}`);
    expect(json.missingRecords).toEqual([victim.key]);
    expect(result.stderr.trimEnd().split("\n").at(-1)).toBe("pipeline: verify failed: consistency");
    expect(hasStackTrace(result.stderr)).toBe(false);
    // The failing row reads as failing in the HTML too.
    const page = browser ? (browser.pages()[0] ?? (await browser.newPage())) : undefined;
    if (page) {
      await page.goto(`file://${join(scratch, "report-fail/evidence.html")}`);
      expect(await page.locator('tr[data-check="consistency"]').getAttribute("data-result")).toBe("fail");
      expect(await page.locator('tr[data-result="fail"]').count()).toBe(1);
      await page.screenshot({
        path: join(repoRoot, "test-artifacts/evidence-report-failing.png"),
        fullPage: true,
      });
    }
  });

  it("reconcile --dry-run lists the object without a record and changes nothing", async () => {
    const recordsBefore = await scanRecords(target.clients, stack);

    const result = await cli("--json", "reconcile", "--dry-run");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<ReconcileJson>(result);
    expect(json.dryRun).toBe(true);
    expect(json.missing.map((m) => m.key)).toEqual([victim.key]);
    expect(json.fixed).toEqual([]);
    expect(await scanRecords(target.clients, stack)).toHaveLength(recordsBefore.length);
    expect(await getRecord(target.clients, stack, victim.key, victim.etag)).toBeUndefined();
    const human = await cli("reconcile", "--dry-run");
    expect(human.stdout).toContain(`would re-drive ${victim.key} (${victim.etag})`);
  });

  it("reconcile re-drives it (JSON fixed), then verify --skip-probe passes", async () => {
    const result = await cli("--json", "reconcile");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<ReconcileJson>(result);
    expect(json.dryRun).toBe(false);
    expect(json.fixed.map((f) => [f.key, f.etag])).toEqual([[victim.key, victim.etag]]);
    expect(json.failed).toEqual([]);
    expect(await getRecord(target.clients, stack, victim.key, victim.etag)).toBeDefined();
    const verify = await cli("--json", "verify", "--skip-probe");
    expect(verify.code, verify.stderr).toBe(0);
    expect(parseJson<VerifyJson>(verify).ok).toBe(true);
  });

  it("reconcile has nothing to do on a consistent stack", async () => {
    const again = await cli("--json", "reconcile");

    expect(again.code, again.stderr).toBe(0);
    expect(parseJson<ReconcileJson>(again)).toMatchObject({ missing: [], fixed: [], failed: [] });
  });

  it("fails least-privilege after the role policy is widened to Resource *, and up repairs it", async () => {
    await setExecutionPolicy(target.clients, stack, (statements) =>
      statements.map((s) => ({ ...s, Resource: "*" })),
    );

    const result = await cli("--json", "verify", "--skip-probe");

    expect(result.code, result.stderr).toBe(1);
    expect(failing(parseJson<VerifyJson>(result))).toEqual(["least-privilege"]);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const up = await cli("--json", "up");
    expect(up.code, up.stderr).toBe(0);
    const steps = parseJson<{ steps: Array<{ step: string; action: string }> }>(up).steps;
    expect(steps.filter((s) => s.action !== "unchanged").map((s) => s.step)).toEqual(["role-policy"]);
    expect((await cli("verify", "--skip-probe")).code).toBe(0);
  });
});
