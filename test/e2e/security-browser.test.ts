import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionsCommand,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { strToU8, zipSync } from "fflate";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardPlugin } from "../../src/dashboard/index.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { CHROMIUM_PATH, chromiumArgs, hasChromium } from "../helpers/browser.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";

/**
 * Issue 13's attacks, made by a real browser: a page of another local origin (and a DNS-rebinding name mapped to
 * 127.0.0.1) tries to create and invoke functions, widen IAM and Lambda policies, delete objects and use the
 * dashboard. Each attempt must be refused and change nothing, read back with the SDK; SDK-style requests (no
 * Origin) and presigned URLs keep working.
 */
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";
const bucket = "security-browser";
const roleName = "security-browser-role";
const victim = "security-victim";
const scope = (service: string) =>
  `X-Amz-Credential=${encodeURIComponent(`test/20260101/${region}/${service}/aws4_request`)}`;
const zipBase64 = (source: string) =>
  Buffer.from(zipSync({ "index.mjs": strToU8(source) })).toString("base64");

let engine: Engine;
let attacker: Server;
let attackerPort: number;
let browser: Browser;
let scratch: string;
let roleArn: string;
const lambda = () => new LambdaClient({ endpoint: engine.endpoint, region, credentials });
const s3 = () => new S3Client({ endpoint: engine.endpoint, region, credentials, forcePathStyle: true });
const iam = () => new IAMClient({ endpoint: engine.endpoint, region, credentials });
const sqs = () => new SQSClient({ endpoint: engine.endpoint, region, credentials });
/** A bucket whose CORS rules allow every origin every method and header (the user's choice). */
const openBucket = "security-open-cors";

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pipeline-security-"));
  engine = await startEngine({ port: 0, plugins: [dashboardPlugin()] });
  roleArn = await createLambdaRole(engine.endpoint, roleName);
  // The victim writes the file an event names: an invocation from the page would leave it behind.
  await lambda().send(
    new CreateFunctionCommand({
      FunctionName: victim,
      Runtime: "nodejs22.x",
      Role: roleArn,
      Handler: "index.handler",
      Code: {
        ZipFile: zipSync({
          "index.mjs": strToU8(
            'import { writeFileSync } from "node:fs"; export const handler = async (e) => { writeFileSync(e.path, "pwned"); return "ok"; };',
          ),
        }),
      },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda(), maxWaitTime: 30 }, { FunctionName: victim });
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "keep.txt", Body: "keep" }));
  await s3().send(new CreateBucketCommand({ Bucket: defineStack().bucket }));
  await s3().send(new CreateBucketCommand({ Bucket: openBucket }));
  await s3().send(
    new PutBucketCorsCommand({
      Bucket: openBucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ["*"],
            AllowedMethods: ["GET", "PUT", "POST", "DELETE", "HEAD"],
            AllowedHeaders: ["*"],
          },
        ],
      },
    }),
  );
  attacker = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<!doctype html><title>attacker</title><p>attacker page</p>");
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  if (hasChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...chromiumArgs,
        "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1, MAP localhost.localstack.cloud 127.0.0.1, MAP host.docker.internal 127.0.0.1",
      ],
    });
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  await engine?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A fresh page on the attacker's site. */
async function attackerPage(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page;
}

/** `fetch` from the page, as an attacker would send it: no-cors, text/plain, result unreadable. */
function noCorsPost(page: Page, url: string, body: string): Promise<void> {
  return page.evaluate(
    async ([target, text]) => {
      await fetch(target as string, {
        method: "POST",
        mode: "no-cors",
        headers: { "content-type": "text/plain" },
        body: text as string,
      }).catch(() => undefined);
    },
    [url, body],
  );
}

const functionNames = async () =>
  ((await lambda().send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName);
const rolePolicies = async () =>
  (await iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
const keysOf = async (name: string) =>
  ((await s3().send(new ListObjectsV2Command({ Bucket: name }))).Contents ?? []).map((o) => o.Key);
const objectKeys = () => keysOf(bucket);
/** The bucket the dashboard uploads into. */
const stackObjectKeys = () => keysOf(defineStack().bucket);

const createFunctionBody = (name: string) =>
  JSON.stringify({
    FunctionName: name,
    Runtime: "nodejs22.x",
    Role: `arn:aws:iam::000000000000:role/${roleName}`,
    Handler: "index.handler",
    Code: { ZipFile: zipBase64("export const handler = async () => 'evil';") },
  });

describe.skipIf(!hasChromium)("Security: pages of other origins cannot drive the engine", () => {
  it("the attack works without a browser's headers, so the refusals below are the guard's doing", async () => {
    const response = await fetch(`${engine.endpoint}/2015-03-31/functions?${scope("lambda")}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: createFunctionBody("control-function"),
    });
    expect(response.status).toBe(201);
    expect(await functionNames()).toContain("control-function");
    await lambda().send(new DeleteFunctionCommand({ FunctionName: "control-function" }));
  });

  for (const site of ["127.0.0.1 (same site, other port)", "attacker.test (cross site)"]) {
    describe(`from ${site}`, () => {
      const origin = () =>
        site.startsWith("127") ? `http://127.0.0.1:${attackerPort}` : `http://attacker.test:${attackerPort}`;

      it("cannot create a function or invoke one (no-cors text/plain POSTs routed by X-Amz-Credential)", async () => {
        const page = await attackerPage(origin());
        await noCorsPost(
          page,
          `${engine.endpoint}/2015-03-31/functions?${scope("lambda")}`,
          createFunctionBody("evil"),
        );
        const marker = join(scratch, `invoked-${attackerPort}-${site.length}`);
        await noCorsPost(
          page,
          `${engine.endpoint}/2015-03-31/functions/${victim}/invocations?${scope("lambda")}`,
          JSON.stringify({ path: marker }),
        );
        await page.close();
        expect(await functionNames()).not.toContain("evil");
        expect(existsSync(marker)).toBe(false);
      });

      it("cannot give the role '*' on '*' through an <img> GET or a plain HTML form", async () => {
        const page = await attackerPage(origin());
        const document = encodeURIComponent(
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
          }),
        );
        const query = `Action=PutRolePolicy&Version=2010-05-08&RoleName=${roleName}&PolicyName=pwned&PolicyDocument=${document}&${scope("iam")}`;
        // DOM code as page source (the test's TypeScript has no DOM types).
        await page.evaluate(`new Promise((resolve) => {
          const img = new Image();
          img.referrerPolicy = "no-referrer";
          img.onload = img.onerror = () => resolve();
          img.src = ${JSON.stringify(`${engine.endpoint}/?${query}`)};
        })`);
        await page.evaluate(`new Promise((resolve) => {
          const frame = document.createElement("iframe");
          frame.name = "sink";
          document.body.append(frame);
          frame.onload = () => resolve();
          const form = document.createElement("form");
          form.method = "POST";
          form.action = ${JSON.stringify(`${engine.endpoint}/?${scope("iam")}`)};
          form.target = "sink";
          for (const [name, value] of new URLSearchParams(${JSON.stringify(query)})) {
            const input = document.createElement("input");
            input.name = name;
            input.value = value;
            form.append(input);
          }
          document.body.append(form);
          form.submit();
        })`);
        await page.close();
        expect(await rolePolicies()).not.toContain("pwned");
      });

      it("cannot add a Principal '*' permission to a function", async () => {
        const page = await attackerPage(origin());
        await noCorsPost(
          page,
          `${engine.endpoint}/2015-03-31/functions/${victim}/policy?${scope("lambda")}`,
          JSON.stringify({ StatementId: "pwned", Action: "lambda:InvokeFunction", Principal: "*" }),
        );
        await page.close();
        const policy = await lambda()
          .send(new GetPolicyCommand({ FunctionName: victim }))
          .then(
            (r) => r.Policy ?? "",
            () => "",
          );
        expect(policy).not.toContain("pwned");
      });

      it("cannot delete objects with a text/plain POST /<bucket>?delete", async () => {
        const page = await attackerPage(origin());
        await noCorsPost(
          page,
          `${engine.endpoint}/${bucket}?delete`,
          "<Delete><Object><Key>keep.txt</Key></Object></Delete>",
        );
        await page.close();
        expect(await objectKeys()).toContain("keep.txt");
      });

      it("cannot post to the dashboard's API", async () => {
        const before = await stackObjectKeys();
        const page = await attackerPage(origin());
        const status = await page.evaluate(async (url) => {
          const response = await fetch(url, {
            method: "POST",
            mode: "no-cors",
            headers: { "content-type": "text/plain" },
            body: "x",
          }).catch(() => undefined);
          return response?.type;
        }, `${engine.endpoint}/_pipeline/api/upload?name=evil.jpg`);
        await page.close();
        expect(status).toBe("opaque");
        expect(await stackObjectKeys()).toEqual(before);
      });

      it("can still use a presigned URL it holds (PUT and GET) where the bucket's CORS allows it, as on AWS", async () => {
        const key = `presigned-${site.length}.txt`;
        const putUrl = await getSignedUrl(s3(), new PutObjectCommand({ Bucket: openBucket, Key: key }), {
          expiresIn: 300,
        });
        const getUrl = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: openBucket, Key: key }), {
          expiresIn: 300,
        });
        const page = await attackerPage(origin());
        const text = await page.evaluate(
          async ([put, get]) => {
            const stored = await fetch(put as string, { method: "PUT", body: "from the page" });
            if (!stored.ok) return `PUT ${stored.status}`;
            return (await fetch(get as string)).text();
          },
          [putUrl, getUrl],
        );
        await page.close();
        expect(text).toBe("from the page");
        const object = await s3().send(new GetObjectCommand({ Bucket: openBucket, Key: key }));
        expect(await object.Body?.transformToString()).toBe("from the page");
      });

      it("a presigned URL to a bucket without CORS rules: the page cannot read the answer (as on AWS)", async () => {
        const getUrl = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: "keep.txt" }), {
          expiresIn: 300,
        });
        const page = await attackerPage(origin());
        const read = await page.evaluate(
          async (get) =>
            fetch(get).then(
              (response) => response.text(),
              () => "unreadable",
            ),
          getUrl,
        );
        await page.close();
        expect(read).toBe("unreadable");
      });

      it("a presigned-looking URL (Signature=00) cannot store an object, list a bucket or create one", async () => {
        const forged = `X-Amz-Algorithm=AWS4-HMAC-SHA256&${scope("s3")}&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=00`;
        const page = await attackerPage(origin());
        const results = await page.evaluate(
          async ([base, open, name, query]) => {
            const attempt = (url: string, init?: RequestInit) =>
              fetch(url, init).then(
                async (response) => `${response.status} ${await response.text()}`,
                () => "refused",
              );
            return [
              await attempt(`${base}/${open}/forged.html?${query}`, {
                method: "PUT",
                headers: { "content-type": "text/html" },
                body: "<script>1</script>",
              }),
              await attempt(`${base}/${name}?list-type=2&${query}`),
              await attempt(`${base}/${open}?list-type=2&${query}`),
              await attempt(`${base}/forged-bucket?${query}`, { method: "PUT" }),
            ];
          },
          [engine.endpoint, openBucket, bucket, forged],
        );
        await page.close();
        for (const result of results) expect(result).not.toMatch(/^200 /);
        expect(results[2]).not.toContain("<Contents>");
        expect(await keysOf(openBucket)).not.toContain("forged.html");
        const created = await s3()
          .send(new HeadBucketCommand({ Bucket: "forged-bucket" }))
          .then(
            () => true,
            () => false,
          );
        expect(created).toBe(false);
      });

      it("a forged SigV4 header (Signature=0) is no key, even where the bucket's CORS allows every origin", async () => {
        const page = await attackerPage(origin());
        const status = await page.evaluate(
          async ([base, open, credential]) => {
            const policy = JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }],
            });
            const response = await fetch(`${base}/${open}?policy`, {
              method: "PUT",
              headers: {
                authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, Signature=0`,
                "x-amz-date": "20260101T000000Z",
                "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
              },
              body: policy,
            }).catch(() => undefined);
            return response?.status ?? 0;
          },
          [engine.endpoint, openBucket, `test/20260101/${region}/s3/aws4_request`],
        );
        await page.close();
        // 403 (or a network error: the refusal carries no CORS headers for the page to read it by).
        expect([0, 403]).toContain(status);
        const policy = await s3()
          .send(new GetBucketPolicyCommand({ Bucket: openBucket }))
          .then(
            (r) => r.Policy ?? "",
            () => "",
          );
        expect(policy).toBe("");
      });
    });
  }

  it("an object a page stored as text/html cannot script the engine when opened on the engine's origin", async () => {
    // As if a page had stored it (the emulator's keys are public, so any page can sign a PUT).
    const html = `<!doctype html><title>stored</title><script>
      document.title = "ran";
      fetch("/2015-03-31/functions?${scope("lambda")}", { method: "POST", body: ${JSON.stringify(createFunctionBody("stored-page"))} });
    </script>`;
    await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: "stored.html", Body: html, ContentType: "text/html" }),
    );
    const page = await browser.newPage();
    const response = await page.goto(`${engine.endpoint}/${bucket}/stored.html`);
    expect(response?.headers()["content-security-policy"]).toBe("sandbox");
    expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
    // The page's own origin is opaque: its script, had it run, would have set the title first.
    const title = await page.title();
    const origin = await page.evaluate("window.origin").catch(() => "blocked");
    await page.close();
    expect(title).toBe("stored");
    expect(origin).not.toBe(engine.endpoint);
    expect(await functionNames()).not.toContain("stored-page");
  });

  it("alias host names, where browsers send no Origin or Sec-Fetch headers, refuse state-changing and repeated-Action GETs", async () => {
    const document = encodeURIComponent(
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
    );
    const attacks = [
      `http://localhost.localstack.cloud:${engine.port}/?Action=CreateQueue&QueueName=alias-evil&${scope("sqs")}`,
      `http://host.docker.internal:${engine.port}/?Action=CreateQueue&QueueName=alias-evil&${scope("sqs")}`,
      `http://localhost.localstack.cloud:${engine.port}/?Action=ListRoles&Action=PutRolePolicy&Version=2010-05-08&RoleName=${roleName}&PolicyName=alias-pwned&PolicyDocument=${document}&${scope("iam")}`,
      `http://host.docker.internal:${engine.port}/?Action=ListQueues&Action=CreateQueue&QueueName=alias-evil&${scope("sqs")}`,
    ];
    const page = await attackerPage(`http://attacker.test:${attackerPort}`);
    for (const url of attacks) {
      await page.evaluate(`new Promise((resolve) => {
        const img = new Image();
        img.referrerPolicy = "no-referrer";
        img.onload = img.onerror = () => resolve();
        img.src = ${JSON.stringify(url)};
      })`);
    }
    // A top-level navigation too (the address bar, a link): no Origin, no Sec-Fetch-Site on these names.
    const navigation = await page.goto(attacks[2] as string);
    await page.close();
    expect(navigation?.status()).toBe(400);
    expect(await rolePolicies()).not.toContain("alias-pwned");
    const queues = (await sqs().send(new ListQueuesCommand({}))).QueueUrls ?? [];
    expect(queues.some((url) => url.endsWith("/alias-evil"))).toBe(false);
  });

  it("a rebinding name mapped to 127.0.0.1 gets 421 for the dashboard, its API and S3", async () => {
    const page = await browser.newPage();
    const rebound = `http://rebind.test:${engine.port}`;
    const response = await page.goto(`${rebound}/_pipeline/`);
    expect(response?.status()).toBe(421);
    // The page is now same-origin with the engine under the rebound name: everything it asks is refused.
    const statuses = await page.evaluate(async (bucketName) => {
      const upload = await fetch("/_pipeline/api/upload?name=evil.jpg", {
        method: "POST",
        headers: { "x-pipeline-dashboard": "1" },
        body: "x",
      });
      const remove = await fetch(`/${bucketName}?delete`, {
        method: "POST",
        body: "<Delete><Object><Key>keep.txt</Key></Object></Delete>",
      });
      const list = await fetch(`/${bucketName}?list-type=2`);
      return [upload.status, remove.status, list.status];
    }, bucket);
    await page.close();
    expect(statuses).toEqual([421, 421, 421]);
    expect(await objectKeys()).toContain("keep.txt");
    expect(await stackObjectKeys()).not.toContain("uploads/evil.jpg");
  });

  it("the engine's own dashboard page still loads and calls its API from the engine's origin", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${engine.endpoint}/_pipeline/`);
    expect(response?.status()).toBe(200);
    const status = await page.evaluate(async () => (await fetch("/_localstack/health")).status);
    await page.close();
    expect(status).toBe(200);
  });
});
