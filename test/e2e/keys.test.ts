import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listObjects } from "../../src/pipeline/objects.ts";
import { scanRecords } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { awsApiKeys, fileNames, nfc, nfd, sdkOnlyKeys } from "../helpers/adversarial-keys.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { runCli } from "../helpers/cli.ts";
import { externalEndpoint, useEngine } from "../helpers/engine.ts";
import {
  embeddedEngine,
  eventually,
  failedEvents,
  lastJson,
  provisionPipeline,
  queuedFailedEvents,
} from "../helpers/pipeline.ts";

const stack = defineStack();
const run = promisify(execFile);
const hex = (key: string) => Buffer.from(key, "utf8").toString("hex");
const sortedHex = (keys: Iterable<string>) => [...keys].map(hex).sort();

/** Every file and directory name under `dir`, recursively (relative paths). */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

// Suites run in forked workers: pointing TMPDIR at a private directory shows every temp file the engine writes.
const root = mkdtempSync(join(tmpdir(), "pipeline-keys-"));
const originalTmpdir = process.env.TMPDIR;
const engineTmp = join(root, "tmp");
const dataDir = join(root, "data");

describe("Keys: adversarial object keys survive S3, the event and the record byte for byte", () => {
  const awsCli = findAwsCliV2();
  const target = useEngine({ dataDir });
  const expected = new Set<string>();
  const cliPrefix = `${stack.uploadPrefix}keys-cli/`;
  const sdkPrefix = `${stack.uploadPrefix}keys-sdk/`;
  const awsPrefix = `${stack.uploadPrefix}keys-awscli/`;

  beforeAll(async () => {
    await mkdir(engineTmp, { recursive: true });
    process.env.TMPDIR = engineTmp;
    await provisionPipeline(target.clients, stack);
  });
  afterAll(async () => {
    if (originalTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = originalTmpdir;
    await rm(root, { recursive: true, force: true });
  });

  it("has at least 100 distinct adversarial keys", () => {
    const all = new Set([
      ...fileNames.map((n) => cliPrefix + n),
      ...sdkOnlyKeys(sdkPrefix),
      ...fileNames.map((n) => awsPrefix + n),
      ...awsApiKeys(awsPrefix),
    ]);
    expect(all.size).toBeGreaterThanOrEqual(100);
    expect(new Set(fileNames).size).toBe(fileNames.length);
    expect(nfc).not.toBe(nfd);
    const longest = sdkOnlyKeys(sdkPrefix).at(-1) ?? "";
    expect(Buffer.byteLength(longest)).toBe(1024);
  });

  it("uploads through `pipeline upload <dir>`, with the SDK for what a file name cannot carry", async () => {
    // Prepare: one file per name (the key is prefix + path below the directory).
    const dir = join(root, "files");
    for (const name of fileNames) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), `key: ${name}`);
    }
    // Act
    const result = await runCli(
      ["--endpoint", target.endpoint, "upload", dir, "--prefix", cliPrefix, "--any", "--json"],
      { timeoutMs: 90_000 },
    );
    const sdkKeys = sdkOnlyKeys(sdkPrefix);
    const limit = pLimit(8);
    await Promise.all(
      sdkKeys.map((key) =>
        limit(() =>
          target.clients.s3.send(
            new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: Buffer.from(`key: ${key}`) }),
          ),
        ),
      ),
    );
    // Assess: the CLI mapped every file to exactly its key, and skipped nothing.
    expect(result.code, result.stderr).toBe(0);
    const output = lastJson<{ uploaded: Array<{ key: string }>; skipped: unknown[]; failed: unknown[] }>(
      result.stdout,
    );
    expect(output.skipped).toEqual([]);
    expect(output.failed).toEqual([]);
    expect(sortedHex(output.uploaded.map((u) => u.key))).toEqual(
      sortedHex(fileNames.map((n) => cliPrefix + n)),
    );
    for (const key of [...fileNames.map((n) => cliPrefix + n), ...sdkKeys]) expected.add(key);
  });

  it.skipIf(!awsCli)(
    "uploads through the AWS CLI v2 (s3 cp --recursive, and s3api put-object --key)",
    // One Python process per s3api call: slow on a busy 2-core machine.
    { timeout: 120_000 },
    async () => {
      const cli = awsCli as string;
      const env = awsCliEnvironment(target.endpoint);
      // awscli 2.9 predates AWS_ENDPOINT_URL (2.13): the endpoint must be a flag.
      const endpointArgs = ["--endpoint-url", target.endpoint];
      const dir = join(root, "files");
      await run(
        cli,
        [
          ...endpointArgs,
          "s3",
          "cp",
          dir,
          `s3://${stack.bucket}/${awsPrefix}`,
          "--recursive",
          "--only-show-errors",
        ],
        {
          env,
        },
      );
      const body = join(root, "body.bin");
      await writeFile(body, "put-object body");
      const apiKeys = awsApiKeys(awsPrefix);
      const limit = pLimit(3);
      await Promise.all(
        apiKeys.map((key) =>
          limit(() =>
            run(
              cli,
              [
                ...endpointArgs,
                "s3api",
                "put-object",
                "--bucket",
                stack.bucket,
                "--key",
                key,
                "--body",
                body,
              ],
              {
                env,
              },
            ),
          ),
        ),
      );
      for (const key of [...fileNames.map((n) => awsPrefix + n), ...apiKeys]) expected.add(key);
    },
  );

  it("stores each key exactly and writes one record per key whose `key` equals it byte for byte", async () => {
    expect(expected.size).toBeGreaterThanOrEqual(fileNames.length + sdkOnlyKeys(sdkPrefix).length);
    const objects = await listObjects(target.clients, stack.bucket, stack.uploadPrefix);
    expect(sortedHex(objects.map((o) => o.key))).toEqual(sortedHex(expected));
    const records = await eventually(
      `records for ${expected.size} keys`,
      async () => {
        const all = await scanRecords(target.clients, stack);
        return all.length >= expected.size ? all : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    // Compare bytes, not strings that merely look alike (NFC and NFD differ only in bytes).
    const recordKeys = records.map((r) => Buffer.from(r.key, "utf8"));
    for (const key of expected) {
      const matches = recordKeys.filter((k) => k.equals(Buffer.from(key, "utf8")));
      expect(matches, `records for ${JSON.stringify(key)}`).toHaveLength(1);
    }
    expect(records).toHaveLength(expected.size);
    // NFC and NFD spellings of the same word are two objects with two records, not one.
    const pair = records.filter(
      (r) => r.key === `${cliPrefix}${nfc}.jpg` || r.key === `${cliPrefix}${nfd}.jpg`,
    );
    expect(new Set(pair.map((r) => r.PK)).size).toBe(2);
    if (target.engine) expect(failedEvents(embeddedEngine(target))).toEqual([]);
    expect(await queuedFailedEvents(target.clients, stack)).toEqual([]);
  });

  it("rejects a 1,025-byte key, as S3 does (KeyTooLongError)", async () => {
    const key = `${sdkPrefix}${"k".repeat(1025 - Buffer.byteLength(sdkPrefix))}`;
    await expect(
      target.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: "x" })),
    ).rejects.toMatchObject({ name: "KeyTooLongError" });
  });

  // Reads the embedded engine's data directory: nothing to inspect on an external LocalStack.
  it.skipIf(externalEndpoint)(
    "keeps all state inside the data dir, under names that carry no key text",
    async () => {
      const names = [...(await walk(dataDir)), ...(await walk(engineTmp))];
      const fragments = [...expected]
        .map((key) => key.split("/").filter(Boolean).at(-1) ?? "")
        .map((last) => last.replace(/\.[^.]*$/, ""))
        .filter((fragment) => fragment.length >= 5);
      expect(fragments.length).toBeGreaterThan(50);
      const leaking = names.filter(
        (name) => name.includes("uploads") || fragments.some((fragment) => name.includes(fragment)),
      );
      expect(leaking).toEqual([]);
      // Nothing of the engine's outside the data dir (function code included); tsx-* is the CLI runner's cache.
      const outside = (await readdir(engineTmp)).filter((name) => !name.startsWith("tsx-"));
      console.log(
        `keys: ${expected.size} keys; ${names.length} names under the data dir and TMPDIR, top level of TMPDIR: ${(await readdir(engineTmp)).join(", ")}`,
      );
      expect(outside).toEqual([]);
    },
  );
});
