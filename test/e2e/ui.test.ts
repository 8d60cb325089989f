import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type UiReady, ui } from "../../cli/src/commands/ui.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { startCli, useCliCleanup } from "../helpers/cli.ts";
import { provisionPipeline, setExecutionPolicy, withoutAction } from "../helpers/pipeline.ts";

const require = createRequire(import.meta.url);
const repo = resolve(import.meta.dirname, "../..");
const fixture = (name: string) => join(repo, "fixtures", name);
const stack = defineStack();
const row = (key: string) => `li.flow-row[data-key="${key}"]`;

/** The few browser globals the page scripts below touch; the project compiles without the DOM library. */
interface DomElement {
  dataset: Record<string, string | undefined>;
  naturalWidth?: number;
}

let engine: Engine;
let clients: AwsClients;
let browser: BrowserContext;
let workDir: string;

/** A `ui()` run in this process: its ready line, what it printed, and how to stop it. */
interface InProcessUi {
  ready: UiReady;
  stdout: string[];
  stop(): Promise<void>;
}

const running: InProcessUi[] = [];

/** Starts `ui()` in-process against the engine, capturing its stdout; resolves once it printed ready. */
async function startUi(flags: { allowWrites?: boolean; readOnly?: boolean } = {}): Promise<InProcessUi> {
  const stdout: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith("{")) {
      stdout.push(text);
      return true;
    }
    return write(chunk as string, ...(rest as []));
  });
  const controller = new AbortController();
  let onReady: (ready: UiReady) => void = () => {};
  const readyPromise = new Promise<UiReady>((resolveReady) => {
    onReady = resolveReady;
  });
  const finished = ui(
    { endpoint: engine.endpoint, port: "0", poll: "200", json: true, ...flags },
    { signal: controller.signal, onReady },
  );
  const ready = await Promise.race([
    readyPromise,
    finished.then(() => Promise.reject(new Error("ui ended"))),
  ]);
  const handle: InProcessUi = {
    ready,
    stdout,
    async stop() {
      controller.abort();
      await finished;
      spy.mockRestore();
    },
  };
  running.push(handle);
  return handle;
}

/** Runs axe-core in the page and returns its serious and critical violations. */
async function seriousViolations(page: Page): Promise<Array<{ id: string; nodes: string[] }>> {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as {
      axe: {
        run(): Promise<{
          violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
        }>;
      };
    };
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(" ")) }));
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  await page.locator("#connection[data-state='live']").waitFor();
  return page;
}

async function sdkUpload(name: string, contentType: string): Promise<void> {
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: stack.bucket,
      Key: `${stack.uploadPrefix}${name}`,
      Body: await readFile(fixture(name)),
      ContentType: contentType,
    }),
  );
}

// Without Chromium (pretest installs it as root with apt) the page cannot be driven: skip, as pretest says.
describe.skipIf(!hasChromium)(
  "pipeline ui: the dashboard for a stack elsewhere, read through the AWS APIs",
  () => {
    useCliCleanup();

    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), "ui-e2e-"));
      engine = await startEngine({ port: 0, lambda: { retryBaseDelayMs: 50 } });
      clients = createAwsClients({
        endpoint: engine.endpoint,
        region: "us-east-1",
        credentials: EMULATOR_CREDENTIALS,
      });
      await provisionPipeline(clients, stack);
      browser = await launchChromium(join(workDir, "profile"), {
        viewport: { width: 1280, height: 800 },
        // axe-core is injected as a script tag, which the page's nonce-based CSP would block.
        bypassCSP: true,
      });
    }, 120_000);

    afterEach(async () => {
      for (const handle of running.splice(0)) await handle.stop();
      for (const page of browser?.pages() ?? []) await page.close();
    });

    afterAll(async () => {
      await setExecutionPolicy(clients, stack).catch(() => {});
      await browser?.close();
      clients?.destroy();
      await engine?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    describe("Function: ui --read-only (in process)", () => {
      it("prints a ready line and follows an SDK upload to written, with its record and thumbnail", async () => {
        // Prepare
        const started = await startUi({ readOnly: true });
        const page = await openPage(started.ready.url);

        // Act
        await sdkUpload("cat.jpg", "image/jpeg");

        // Assess
        expect(JSON.parse(started.stdout[0] ?? "{}")).toMatchObject({
          event: "ui-ready",
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
          target: `embedded engine at ${engine.endpoint}`,
          writable: false,
          pollMs: 200,
        });
        await page.locator(`${row("uploads/cat.jpg")}[data-status="written"]`).waitFor();
        const steps = await page
          .locator(`${row("uploads/cat.jpg")} [data-step]`)
          .evaluateAll((nodes) => nodes.map((n) => (n as unknown as DomElement).dataset.step));
        expect(steps).toEqual(["uploaded", "delivered", "invocation", "outcome"]);
        await expect(
          page.locator(`${row("uploads/cat.jpg")} [data-step="invocation"]`).textContent(),
        ).resolves.toMatch(/cold .* ms/);
        const thumbnail = page.locator('#records-body tr[data-key="uploads/cat.jpg"] img.thumb');
        await thumbnail.waitFor();
        await expect
          .poll(() => thumbnail.evaluate((img) => (img as unknown as DomElement).naturalWidth ?? 0), {
            timeout: 10_000,
          })
          .toBeGreaterThan(0);
        expect(await thumbnail.getAttribute("src")).toMatch(
          new RegExp(`^${engine.endpoint}/${stack.bucket}/uploads/cat\\.jpg\\?.*X-Amz-Signature=`),
        );
        await page.locator("#log-lines li", { hasText: "record written" }).first().waitFor();
        await expect(page.locator("#source-line").textContent()).resolves.toBe(
          `Reading embedded engine at ${engine.endpoint} through the AWS APIs, polled every 200 ms: updates lag by up to that, plus the time logs take to arrive; upload times are S3's LastModified. Read-only.`,
        );
        await expect(page.locator("#endpoint").textContent()).resolves.toBe(
          `embedded engine at ${engine.endpoint}`,
        );
        // The deployed code is compared with dist/function.zip, which other suites may rebuild: count, not verdicts.
        await page.locator("#health-summary", { hasText: "of 12 pass" }).waitFor();
      });

      it("disables the upload control, refuses POSTs with 403, and shows a failed invocation without re-drive", async () => {
        // Prepare
        const started = await startUi({ readOnly: true });
        const page = await openPage(started.ready.url);
        // Without s3:GetObject, HeadObject is denied and every attempt fails.
        await setExecutionPolicy(clients, stack, withoutAction("s3:GetObject"));

        // Act: wait for the last of the three attempts before restoring the policy, or a retry would succeed.
        await sdkUpload("sunset.png", "image/png");
        const failedItem = page.locator("#failed-list li", { hasText: "uploads/sunset.png" });
        await failedItem.waitFor();
        await page
          .locator(`${row("uploads/sunset.png")}[data-status="failed"] [data-step="invocation"]`, {
            hasText: "attempt 3",
          })
          .waitFor();
        await setExecutionPolicy(clients, stack);
        const failedId = await failedItem.getAttribute("data-failed-id");
        const upload = await fetch(`${started.ready.url}api/upload?name=spinner.gif`, {
          method: "POST",
          headers: { "content-type": "image/gif", "x-pipeline-dashboard": "1" },
          body: await readFile(fixture("spinner.gif")),
        });
        const redrive = await fetch(`${started.ready.url}api/redrive/${failedId}`, {
          method: "POST",
          headers: { "x-pipeline-dashboard": "1" },
        });

        // Assess
        await expect(page.locator("#file-input").isDisabled()).resolves.toBe(true);
        await expect(page.locator("#upload-readonly").isVisible()).resolves.toBe(true);
        await expect(failedItem.locator("button[data-action='redrive']").isDisabled()).resolves.toBe(true);
        expect(upload.status).toBe(403);
        expect(((await upload.json()) as { error: string }).error).toContain("--read-only");
        expect(redrive.status).toBe(403);
        await expect(failedItem.locator(".failed-error").textContent()).resolves.toContain("AccessDenied");
        expect(await seriousViolations(page)).toEqual([]);
        const failed = (await (await fetch(`${started.ready.url}api/failed`)).json()) as {
          events: Array<{ keys: string[]; attempts: number; errorMessage: string }>;
        };
        expect(failed.events).toEqual([
          expect.objectContaining({ keys: ["uploads/sunset.png"], attempts: 3 }),
        ]);
      });

      it("refuses requests whose Host is not this server (DNS rebinding)", async () => {
        // Prepare
        const started = await startUi();
        const { port } = new URL(started.ready.url);

        // Act
        const status = await new Promise<number>((resolveStatus, reject) => {
          const req = request(
            { host: "127.0.0.1", port, path: "/api/flow", headers: { host: `evil.example:${port}` } },
            (response) => {
              response.resume();
              resolveStatus(response.statusCode ?? 0);
            },
          );
          req.on("error", reject);
          req.end();
        });

        // Assess
        expect(status).toBe(421);
      });
    });

    describe("Function: ui on an emulator (in process, writable by default)", () => {
      it("re-drives the failed upload from the page once the policy is restored, and uploads from the page", async () => {
        // Prepare: the first poll reads back 10 minutes, so the earlier failure is listed again.
        const started = await startUi();
        const page = await openPage(started.ready.url);
        const redriveButton = page.locator(
          '#failed-list button[aria-label="Re-drive the failed event for uploads/sunset.png"]',
        );
        await redriveButton.waitFor();

        // Act
        await redriveButton.click();
        // Both report in the same status line: one after the other.
        await page
          .locator("#upload-status", { hasText: "Re-drove the event for uploads/sunset.png" })
          .waitFor();
        await page.setInputFiles("#file-input", fixture("leaf.webp"));

        // Assess
        expect(started.ready.writable).toBe(true);
        await page.locator(`${row("uploads/sunset.png")}[data-status="written"]`).waitFor();
        const chains = await page
          .locator(`${row("uploads/sunset.png")} li.chain`)
          .evaluateAll((nodes) => nodes.map((n) => (n as unknown as DomElement).dataset.state));
        expect(chains).toEqual(["failed", "written"]);
        await page
          .locator(`${row("uploads/sunset.png")} [data-step="delivered"]`, { hasText: "re-driven" })
          .waitFor();
        await page
          .locator("#failed-list li", { hasText: "uploads/sunset.png" })
          .waitFor({ state: "detached" });
        await page.locator(`${row("uploads/leaf.webp")}[data-status="written"]`).waitFor();
        await page.locator('#records-body tr[data-key="uploads/leaf.webp"] img.thumb').waitFor();
        await page.locator("#upload-status", { hasText: "Uploaded uploads/leaf.webp" }).waitFor();
      });
    });

    describe("Command: pipeline ui (child process)", () => {
      it("prints ui-ready, serves the page with uploads on for an emulator, and exits cleanly on SIGINT and SIGTERM", async () => {
        // A different object each round: the second server's first poll also shows the first round's upload.
        const rounds = [
          { signal: "SIGINT", name: "my cat.jpg", type: "image/jpeg" },
          { signal: "SIGTERM", name: "spinner.gif", type: "image/gif" },
        ] as const;
        for (const { signal, name, type } of rounds) {
          // Prepare
          const child = startCli([
            "--endpoint",
            engine.endpoint,
            "--json",
            "ui",
            "--port",
            "0",
            "--poll",
            "200",
          ]);
          const ready = await child.waitForJson((line) => line.event === "ui-ready");
          const page = await openPage(String(ready.url));

          // Act
          await sdkUpload(name, type);
          await page.locator(`${row(`uploads/${name}`)}[data-status="written"]`).waitFor();
          const enabled = await page.locator("#file-input").isEnabled();
          const result = await child.stop(signal);

          // Assess
          expect(ready).toMatchObject({ writable: true, target: `embedded engine at ${engine.endpoint}` });
          expect(enabled).toBe(true);
          expect(result.code).toBe(0);
          expect(child.jsonLines().at(-1)).toEqual({ event: "stopped" });
          await page.close();
        }
      });
    });

    it("stops an in-process ui on abort and frees its port", async () => {
      // Prepare
      const started = await startUi();
      running.splice(running.indexOf(started), 1);

      // Act
      await started.stop();

      // Assess
      expect(started.stdout.map((line) => JSON.parse(line).event)).toEqual(["ui-ready", "stopped"]);
      await expect(fetch(started.ready.url)).rejects.toThrow();
    });
  },
);
