import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SingleBar } from "cli-progress";
import pLimit from "p-limit";
import { glob, isDynamicPattern } from "tinyglobby";
import { stripETagQuotes } from "../../../src/function/record.ts";
import { waitForRecord } from "../../../src/pipeline/records.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output } from "../output.ts";
import { type GlobalOptions, requireEndpoint, resolveTarget, type Target } from "../target.ts";
import { type FoundFile, type PlannedUpload, planUploads } from "../upload-plan.ts";

export interface UploadOptions extends GlobalOptions {
  prefix: string;
  concurrency: string;
  any?: boolean;
  wait?: boolean;
  timeout: string;
}

export interface UploadResult {
  path: string;
  key: string;
  etag: string;
  size: number;
  contentType: string;
  record?: { pk: string; sk: string; latencyMs: number } | null;
}

/** Expands files, directories (recursively) and globs; a missing or unreadable input is a usage error. */
export async function findFiles(inputs: string[]): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  for (const input of inputs) {
    // A path that exists is taken literally: `large photo (1).jpg` or `a[1].jpg` are file names, not patterns.
    const exists = await stat(resolve(input)).then(
      () => true,
      () => false,
    );
    if (!exists && isDynamicPattern(input)) {
      const matches = await glob(input, { absolute: true, onlyFiles: true, dot: false });
      if (matches.length === 0) throw new UsageError(`no files match ${input}`);
      for (const path of matches.sort()) found.push({ path, size: (await stat(path)).size });
      continue;
    }
    const path = resolve(input);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`file not found: ${input}`);
    }
    if (info.isDirectory()) {
      const matches = await glob("**/*", { cwd: path, absolute: true, onlyFiles: true, dot: true });
      for (const file of matches.sort())
        found.push({ path: file, root: path, size: (await stat(file)).size });
    } else {
      found.push({ path, size: info.size });
    }
  }
  for (const file of found) {
    try {
      await access(file.path, constants.R_OK);
    } catch {
      throw new UsageError(`cannot read ${file.path}: permission denied`);
    }
  }
  return found;
}

function parsePositive(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`invalid ${flag}: expected a number from 1 to ${max}`);
  return n;
}

/** PutObject each planned file (bounded concurrency); returns ETags as S3 acknowledged them. */
export async function uploadFiles(
  target: Target,
  uploads: PlannedUpload[],
  options: { concurrency: number; onDone?: (result: UploadResult) => void },
): Promise<{ done: UploadResult[]; failed: Array<{ upload: PlannedUpload; error: Error }> }> {
  const limit = pLimit(options.concurrency);
  const done: UploadResult[] = [];
  const failed: Array<{ upload: PlannedUpload; error: Error }> = [];
  await Promise.all(
    uploads.map((upload) =>
      limit(async () => {
        try {
          const body = await readFile(upload.path);
          const response = await target.clients.s3.send(
            new PutObjectCommand({
              Bucket: target.stack.bucket,
              Key: upload.key,
              Body: body,
              ContentType: upload.contentType,
            }),
          );
          const result: UploadResult = {
            path: upload.path,
            key: upload.key,
            etag: stripETagQuotes(response.ETag ?? ""),
            size: body.length,
            contentType: upload.contentType,
          };
          done.push(result);
          options.onDone?.(result);
        } catch (error) {
          failed.push({ upload, error: error as Error });
        }
      }),
    ),
  );
  return { done, failed };
}

/** `pipeline upload`: files, directories or globs to `uploads/`, optionally waiting for their records. */
export async function upload(inputs: string[], options: UploadOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const concurrency = parsePositive(options.concurrency, "--concurrency", 256);
  const timeoutMs = parsePositive(options.timeout, "--timeout", 3600) * 1000;
  const files = await findFiles(inputs);
  const { uploads, skipped } = planUploads(files, { prefix: options.prefix, any: options.any });
  for (const s of skipped) output.warn(`skipped ${s.path}: ${s.reason}`);
  if (uploads.length === 0)
    throw new UsageError("nothing to upload: no image files among the inputs (use --any for other files)");
  const target = await resolveTarget(options);
  await requireEndpoint(target);
  await confirmAwsWrite(
    target,
    output,
    `upload ${uploads.length} files to s3://${target.stack.bucket}`,
    options.yes,
  );

  const totalBytes = uploads.reduce((sum, u) => sum + u.size, 0);
  const started = performance.now();
  const bar =
    output.interactive && uploads.length > 1
      ? new SingleBar({
          format: " {bar} {value}/{total} files | {sent} / {totalSize} | {rate}",
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  let sentBytes = 0;
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  bar?.start(uploads.length, 0, { sent: kib(0), totalSize: kib(totalBytes), rate: "-" });
  const { done, failed } = await uploadFiles(target, uploads, {
    concurrency,
    onDone: (result) => {
      sentBytes += result.size;
      const seconds = (performance.now() - started) / 1000;
      bar?.increment(1, { sent: kib(sentBytes), rate: `${(sentBytes / 1024 / seconds).toFixed(0)} KiB/s` });
      if (!bar) output.info(`uploaded ${result.key} (${result.size} bytes)`);
    },
  });
  bar?.stop();
  for (const f of failed)
    output.warn(`upload failed for ${f.upload.path}: ${f.error.name}: ${f.error.message}`);
  const seconds = (performance.now() - started) / 1000;
  output.line(
    `uploaded ${done.length} of ${uploads.length} files (${kib(sentBytes)}) to s3://${target.stack.bucket}/ in ${seconds.toFixed(2)} s`,
  );

  let missing = 0;
  if (options.wait) {
    await Promise.all(
      done.map(async (result) => {
        const found = await waitForRecord(target.clients, target.stack, result.key, result.etag, {
          timeoutMs,
        });
        result.record = found
          ? { pk: found.item.PK, sk: found.item.SK, latencyMs: Math.round(found.waitedMs) }
          : null;
        if (!found) missing += 1;
      }),
    );
    for (const r of done.sort((a, b) => a.key.localeCompare(b.key))) {
      output.line(
        r.record
          ? `  ${output.ok("record")} ${r.record.pk} ${r.record.sk} ${output.dim(`${r.record.latencyMs} ms`)}`
          : `  ${output.bad("missing")} no record for ${r.key} (${r.etag}) after ${timeoutMs / 1000} s`,
      );
    }
  }
  output.data({
    bucket: target.stack.bucket,
    uploaded: done,
    failed: failed.map((f) => ({ path: f.upload.path, error: f.error.message })),
    skipped,
    missingRecords: missing,
  });
  target.clients.destroy();
  if (failed.length > 0) throw new CheckFailedError(`${failed.length} uploads failed`);
  if (missing > 0)
    throw new CheckFailedError(`${missing} records did not appear within ${timeoutMs / 1000} s`);
}
