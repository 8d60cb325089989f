import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadResult } from "../../cli/src/commands/upload.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import { getRecord } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { type CliResult, hasStackTrace, parseJson, runCli, useCliCleanup } from "../helpers/cli.ts";
import { useEngine } from "../helpers/engine.ts";

const stack = defineStack();
const fixtureImages = [
  "a+b.png",
  "cat.jpg",
  "large photo (1).jpg",
  "leaf.webp",
  "my cat.jpg",
  "spinner.gif",
  "sunset.png",
  "été 猫.jpg",
];

interface UploadJson {
  bucket: string;
  uploaded: UploadResult[];
  failed: unknown[];
  skipped: Array<{ path: string; reason: string }>;
  missingRecords: number;
}

/**
 * Root reads files whatever their mode, so chmod 000 proves nothing there: probe once whether this process
 * can still read a mode-000 file, and skip that case if so.
 */
function canReadModeZeroFiles(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-chmod-"));
  const file = join(dir, "probe.jpg");
  try {
    writeFileSync(file, "x");
    chmodSync(file, 0o000);
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const readsUnreadableFiles = canReadModeZeroFiles();

/** A usage error: exit 2, exactly one line on stderr, no stack trace, nothing on stdout. */
function expectUsageError(result: CliResult, message: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(hasStackTrace(result.stderr)).toBe(false);
  expect(result.stdout).toBe("");
}

describe("CLI: pipeline upload", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "pipeline-cli-upload-"));
    // `up` against a running endpoint waits for LocalStack-style init; an engine started in-process says it here.
    target.engine?.markReady();
    const up = await cli("up");
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("uploads a directory's images, skips notes.txt with a warning, and lists them in --json", async () => {
    const result = await cli("--json", "upload", "fixtures");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<UploadJson>(result);
    expect(json.bucket).toBe(stack.bucket);
    expect(json.uploaded.map((u) => u.key).sort()).toEqual(fixtureImages.map((n) => `uploads/${n}`).sort());
    expect(
      json.uploaded.every((u) => /^[0-9a-f]{32}$/.test(u.etag) && u.contentType.startsWith("image/")),
    ).toBe(true);
    expect(json.skipped).toEqual([expect.objectContaining({ path: join(repoRoot, "fixtures/notes.txt") })]);
    expect(result.stderr).toMatch(/^warning: skipped .*notes\.txt: not an image \(text\/plain\)/m);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const head = await target.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucket, Key: "uploads/été 猫.jpg" }),
    );
    expect(head.ContentType).toBe("image/jpeg");
  });

  it("--wait prints each upload's record, with PK and SK in --json", async () => {
    const result = await cli("--json", "upload", "fixtures", "--prefix", "uploads/wait", "--wait");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<UploadJson>(result);
    expect(json.missingRecords).toBe(0);
    expect(json.uploaded).toHaveLength(fixtureImages.length);
    for (const u of json.uploaded) {
      expect(u.record).toEqual({
        pk: `IMG#${stack.bucket}#${u.key}`,
        sk: `META#${u.etag}`,
        latencyMs: expect.any(Number),
      });
      expect((await getRecord(target.clients, stack, u.key, u.etag))?.size).toBe(u.size);
    }
  });

  it("prints the records in human mode too", async () => {
    const result = await cli("upload", "fixtures/cat.jpg", "--prefix", "uploads/human", "--wait");

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/uploaded 1 of 1 files .* to s3:\/\/image-uploads\//);
    expect(result.stdout).toContain(`record IMG#${stack.bucket}#uploads/human/cat.jpg META#`);
  });

  it("expands a glob", async () => {
    const result = await cli("--json", "upload", "fixtures/*.png", "--prefix", "uploads/glob");

    expect(result.code, result.stderr).toBe(0);
    expect(
      parseJson<UploadJson>(result)
        .uploaded.map((u) => u.key)
        .sort(),
    ).toEqual(["uploads/glob/a+b.png", "uploads/glob/sunset.png"]);
  });

  it("--prefix is normalized: no leading slash, one trailing slash", async () => {
    const result = await cli("--json", "upload", "fixtures/leaf.webp", "--prefix", "/uploads/deep/er//");

    expect(result.code, result.stderr).toBe(0);
    expect(parseJson<UploadJson>(result).uploaded.map((u) => u.key)).toEqual(["uploads/deep/er/leaf.webp"]);
    const head = await target.clients.s3.send(
      new HeadObjectCommand({ Bucket: stack.bucket, Key: "uploads/deep/er/leaf.webp" }),
    );
    expect(head.ContentType).toBe("image/webp");
  });

  it("--any uploads notes.txt as text/plain", async () => {
    const result = await cli("--json", "upload", "fixtures/notes.txt", "--prefix", "uploads/any", "--any");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<UploadJson>(result);
    expect(json.uploaded.map((u) => [u.key, u.contentType])).toEqual([
      ["uploads/any/notes.txt", "text/plain"],
    ]);
    expect(json.skipped).toEqual([]);
  });

  it("exits 2 with one line for a missing file", async () => {
    expectUsageError(await cli("upload", "missing.jpg"), /^pipeline: file not found: missing\.jpg$/);
  });

  it("exits 2 with one line for a directory of only non-images", async () => {
    const dir = join(scratch, "texts");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "readme.txt"), "not an image");
    await writeFile(join(dir, "data.json"), "{}");

    const result = await cli("upload", dir);

    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    // The skipped-file warnings come first; the error itself is the last, single line.
    expect(lines.filter((l) => l.startsWith("warning: skipped"))).toHaveLength(2);
    expect(lines.filter((l) => !l.startsWith("warning: skipped"))).toEqual([
      "pipeline: nothing to upload: no image files among the inputs (use --any for other files)",
    ]);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it.skipIf(readsUnreadableFiles)(
    "exits 2 with one line for an unreadable file (skipped when running as root: mode 000 does not stop root)",
    async () => {
      const file = join(scratch, "locked.jpg");
      await copyFile(join(repoRoot, "fixtures/cat.jpg"), file);
      chmodSync(file, 0o000);

      expectUsageError(await cli("upload", file), /^pipeline: cannot read .*locked\.jpg: permission denied$/);
    },
  );

  it.each([
    [["--concurrency", "0"], /^pipeline: invalid --concurrency: expected a number from 1 to 256$/],
    [["--concurrency", "many"], /^pipeline: invalid --concurrency/],
    [["--timeout", "x"], /^pipeline: invalid --timeout: expected a number from 1 to 3600$/],
    [["--timeout", "-5"], /^pipeline: invalid --timeout/],
  ])("exits 2 with one line for bad flags %j", async (flags, message) => {
    expectUsageError(await cli("upload", "fixtures", ...flags), message);
  });

  it("takes an existing path literally even when it looks like a glob", async () => {
    const dir = join(scratch, "literal");
    await mkdir(dir, { recursive: true });
    await copyFile(join(repoRoot, "fixtures/cat.jpg"), join(dir, "a[1].jpg"));
    await copyFile(join(repoRoot, "fixtures/cat.jpg"), join(dir, "a1.jpg"));
    const result = await cli(
      "--json",
      "upload",
      "--prefix",
      "uploads/literal/",
      join(dir, "a[1].jpg"),
      join(repoRoot, "fixtures/large photo (1).jpg"),
    );
    expect(result.code, result.stderr).toBe(0);
    const keys = parseJson<UploadJson>(result)
      .uploaded.map((u) => u.key)
      .sort();
    expect(keys).toEqual(["uploads/literal/a[1].jpg", "uploads/literal/large photo (1).jpg"]);
  });
});
