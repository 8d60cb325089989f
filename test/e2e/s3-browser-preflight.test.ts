import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { CHROMIUM_PATH, chromiumArgs, hasChromium } from "../helpers/browser.ts";
import { s3Client } from "../helpers/s3.ts";

/**
 * Issue 27 (S3): a preflight on a presigned URL is S3's to answer from the bucket's CORS rules, even for a page
 * the engine allows (`--cors-origin`): a web app that works here because the engine answered its preflight would
 * fail on AWS, where only the bucket's CORS configuration does.
 */
describe.skipIf(!hasChromium)("S3 presigned URLs from an allowed page, in Chromium", () => {
  let engine: Engine;
  let s3: S3Client;
  let app: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    app = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><title>app</title>");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    engine = await startEngine({ port: 0, corsOrigins: [origin] });
    s3 = s3Client(engine.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: "with-cors" }));
    await s3.send(new CreateBucketCommand({ Bucket: "without-cors" }));
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: "with-cors",
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["*"] }],
        },
      }),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    s3?.destroy();
    await engine?.stop();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  });

  /** PUT (with a Content-Type, so the browser preflights) then GET through presigned URLs, from the app's page. */
  async function roundTrip(bucket: string): Promise<string> {
    const put = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: bucket, Key: "k.txt", ContentType: "text/plain" }),
      {
        expiresIn: 300,
      },
    );
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "k.txt" }), {
      expiresIn: 300,
    });
    const page: Page = await browser.newPage();
    await page.goto(`${origin}/`);
    const outcome = await page.evaluate(
      async ([putUrl, getUrl]) => {
        try {
          const stored = await fetch(putUrl as string, {
            method: "PUT",
            headers: { "content-type": "text/plain" },
            body: "from the page",
          });
          if (!stored.ok) return `PUT ${stored.status}`;
          return await (await fetch(getUrl as string)).text();
        } catch {
          return "blocked";
        }
      },
      [put, get],
    );
    await page.close();
    return outcome;
  }

  it("works where the bucket's CORS allows the page", async () => {
    expect(await roundTrip("with-cors")).toBe("from the page");
  });

  it("is refused where the bucket has no CORS rules, as on AWS (the engine does not answer the preflight)", async () => {
    const preflight = await fetch(
      `${engine.endpoint}/without-cors/k.txt?X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00`,
      {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "PUT",
          "access-control-request-headers": "content-type",
        },
      },
    );
    expect(preflight.status).toBe(403);
    expect(await preflight.text()).toContain("CORSResponse");
    expect(await roundTrip("without-cors")).toBe("blocked");
  });
});
