import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { access, lstat, open, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import { glob, isDynamicPattern } from "tinyglobby";
import { stripETagQuotes } from "../../../src/function/record.ts";
import { CheckFailedError, CliError, UsageError } from "../errors.ts";
import { Output, printable } from "../output.ts";
import type { GlobalOptions, Target } from "../target.ts";
import { type FoundFile, type PlannedUpload, planUploads, type SkippedFile } from "../upload-plan.ts";

export interface UploadOptions extends GlobalOptions {
  prefix: string;
  concurrency: string;
  any?: boolean;
  wait?: boolean;
  timeout: string;
  /** Commander's `--no-follow-symlinks`: false skips symbolic links. */
  followSymlinks?: boolean;
  /** Skip files whose key already holds the same size and MD5 (ETag): resumes an interrupted upload. */
  skipExisting?: boolean;
}

export interface UploadResult {
  path: string;
  key: string;
  etag: string;
  size: number;
  contentType: string;
  record?: { pk: string; sk: string; latencyMs: number } | null;
  /** With --wait and no record: the function's error for the object, from its logs. */
  functionError?: string;
}

/** What a directory walk found: files to consider, and entries skipped with the reason (FIFOs, devices, ...). */
export interface FoundInputs {
  found: FoundFile[];
  skipped: SkippedFile[];
}

export interface FindOptions {
  /** Follow symbolic links (the default, as `aws s3 cp --recursive` does); false skips them. */
  followSymlinks?: boolean;
}

/** The kind of a non-regular file, for the warning that skips it. */
function specialKind(info: Stats): string | undefined {
  if (info.isFIFO()) return "FIFO";
  if (info.isCharacterDevice()) return "character device";
  if (info.isBlockDevice()) return "block device";
  if (info.isSocket()) return "socket";
  return undefined;
}

const isPermissionError = (error: unknown) =>
  ["EACCES", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? "");

/**
 * Expands files, directories (recursively) and globs into regular files. FIFOs, devices and sockets are skipped
 * with a reason (reading one could block or never end); symbolic links are followed unless told otherwise, each
 * directory walked once (a link loop ends). A missing or unreadable input is a usage error; an unreadable entry
 * inside a directory is skipped as "permission denied".
 */
export async function findFiles(inputs: string[], options: FindOptions = {}): Promise<FoundInputs> {
  const follow = options.followSymlinks !== false;
  const found: FoundFile[] = [];
  const skipped: SkippedFile[] = [];
  const visited = new Set<string>();

  /** Classifies one path; returns its stat when it is a directory to walk. */
  const consider = async (
    path: string,
    root: string | undefined,
    topLevel: boolean,
  ): Promise<Stats | undefined> => {
    let info: Stats;
    try {
      const link = await lstat(path);
      if (link.isSymbolicLink() && !follow) {
        skipped.push({ path, reason: "symbolic link (--no-follow-symlinks)" });
        return undefined;
      }
      info = link.isSymbolicLink() ? await stat(path) : link;
    } catch (error) {
      if (topLevel && isPermissionError(error))
        throw new UsageError(`cannot read ${printable(path)}: permission denied`);
      if (topLevel) throw new UsageError(`file not found: ${printable(path)}`);
      skipped.push({ path, reason: isPermissionError(error) ? "permission denied" : "broken symbolic link" });
      return undefined;
    }
    if (info.isDirectory()) return info;
    const kind = specialKind(info);
    if (kind) {
      skipped.push({ path, reason: `not a regular file (${kind})` });
      return undefined;
    }
    found.push(root === undefined ? { path, size: info.size } : { path, root, size: info.size });
    return undefined;
  };

  const walk = async (directory: string, root: string, info: Stats, topLevel: boolean): Promise<void> => {
    const identity = `${info.dev}:${info.ino}`;
    if (visited.has(identity)) return;
    visited.add(identity);
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if (!isPermissionError(error)) throw error;
      if (topLevel) throw new UsageError(`cannot read ${printable(directory)}: permission denied`);
      skipped.push({ path: directory, reason: "permission denied" });
      return;
    }
    for (const name of names.sort()) {
      const path = join(directory, name);
      const child = await consider(path, root, false);
      if (child) await walk(path, root, child, false);
    }
  };

  for (const input of inputs) {
    const path = resolve(input);
    // A path that exists is taken literally: `large photo (1).jpg` or `a[1].jpg` are file names, not patterns.
    const exists = await lstat(path).then(
      () => true,
      (error: unknown) => isPermissionError(error),
    );
    if (!exists && isDynamicPattern(input)) {
      const matches = await glob(input, { absolute: true, onlyFiles: false, dot: false });
      if (matches.length === 0) throw new UsageError(`no files match ${printable(input)}`);
      for (const match of matches.sort()) {
        const directory = await consider(match, undefined, false);
        if (directory) await walk(match, match, directory, false);
      }
      continue;
    }
    if (!exists) throw new UsageError(`file not found: ${printable(input)}`);
    const directory = await consider(path, undefined, true);
    if (directory) await walk(path, path, directory, true);
  }
  for (const file of found) {
    try {
      await access(file.path, constants.R_OK);
    } catch {
      throw new UsageError(`cannot read ${printable(file.path)}: permission denied`);
    }
  }
  return { found, skipped };
}

/**
 * Reads a file only if it is still a regular file when opened (it may have been replaced by a FIFO since it was
 * found): non-blocking open, then fstat on the open descriptor.
 */
async function readRegularFile(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new Error(`${path} is not a regular file (${specialKind(info) ?? "directory"})`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function parsePositive(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`invalid ${flag}: expected a number from 1 to ${max}`);
  return n;
}

/** PutObject each planned file (bounded concurrency); returns ETags as S3 acknowledged them. */
export async function uploadFiles(
  target: Target<"s3">,
  uploads: PlannedUpload[],
  options: {
    concurrency: number;
    onDone?: (result: UploadResult) => void;
    /** Once aborted, no further upload starts; those under way finish (their count stays exact). */
    stop?: AbortSignal;
  },
): Promise<{ done: UploadResult[]; failed: Array<{ upload: PlannedUpload; error: Error }> }> {
  const { PutObjectCommand } = await import("@aws-sdk/client-s3");
  const limit = pLimit(options.concurrency);
  const done: UploadResult[] = [];
  const failed: Array<{ upload: PlannedUpload; error: Error }> = [];
  await Promise.all(
    uploads.map((upload) =>
      limit(async () => {
        if (options.stop?.aborted) return;
        try {
          const body = await readRegularFile(upload.path);
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
  const inputsFound = await findFiles(inputs, { followSymlinks: options.followSymlinks !== false });
  const planned = planUploads(inputsFound.found, { prefix: options.prefix, any: options.any });
  const uploads = planned.uploads;
  const skipped = [...inputsFound.skipped, ...planned.skipped];
  for (const s of skipped) output.warn(`skipped ${printable(s.path)}: ${s.reason}`);
  if (uploads.length === 0) {
    const notRegular = inputsFound.skipped.length;
    throw new UsageError(
      notRegular > 0
        ? `nothing to upload: ${notRegular} ${notRegular === 1 ? "entry was" : "entries were"} skipped (not regular files, unreadable or links) and no image files remain`
        : "nothing to upload: no image files among the inputs (use --any for other files)",
    );
  }
  // The AWS SDK and the target are loaded only once the inputs are known to hold something to upload: a bad
  // input is answered in the time it takes to look at it.
  const [
    { resolveTarget, readEngineInfo, describeFaults },
    { requireStack },
    { confirmAwsWrite },
    progress,
    { waitForRecord },
  ] = await Promise.all([
    import("../target.ts"),
    import("../stack-presence.ts"),
    import("../guard.ts"),
    import("cli-progress"),
    import("../../../src/pipeline/records.ts"),
  ]);
  // cli-progress is CommonJS: a dynamic import of it in the CLI's ESM bundle has its exports under `default` only
  // (`SingleBar is not a constructor` in a terminal, the one place the bar is drawn); under tsx, named too.
  const { SingleBar } = progress.default ?? progress;
  const target = await resolveTarget(options, ["s3", "documents", "logs"]);
  await requireStack(target, ["bucket"]);
  await confirmAwsWrite(
    target,
    output,
    `upload ${uploads.length} files to s3://${target.stack.bucket}`,
    options.yes,
  );

  let toUpload = uploads;
  let alreadyThere: PlannedUpload[] = [];
  if (options.skipExisting) {
    const { existing } = await import("../upload-resume.ts");
    alreadyThere = await existing(target, uploads, concurrency);
    const skip = new Set(alreadyThere);
    toUpload = uploads.filter((u) => !skip.has(u));
    output.info(
      `skipping ${alreadyThere.length} of ${uploads.length} files already in s3://${target.stack.bucket} with the same size and MD5`,
    );
  }
  const totalBytes = toUpload.reduce((sum, u) => sum + u.size, 0);
  const started = performance.now();
  const startedAt = Date.now();
  const bar =
    output.interactive && toUpload.length > 1
      ? new SingleBar({
          format: " {bar} {value}/{total} files | {sent} / {totalSize} | {rate}",
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  let sentBytes = 0;
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  bar?.start(toUpload.length, 0, { sent: kib(0), totalSize: kib(totalBytes), rate: "-" });
  // Ctrl-C: no new upload starts, those under way finish, then what landed and what is left are said. A second
  // Ctrl-C ends at once.
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  const { done, failed } = await uploadFiles(target, toUpload, {
    concurrency,
    stop: stop.signal,
    onDone: (result) => {
      sentBytes += result.size;
      const seconds = (performance.now() - started) / 1000;
      bar?.increment(1, { sent: kib(sentBytes), rate: `${(sentBytes / 1024 / seconds).toFixed(0)} KiB/s` });
      if (!bar) output.info(`uploaded ${printable(result.key)} (${result.size} bytes)`);
    },
  });
  process.off("SIGINT", onInterrupt);
  process.off("SIGTERM", onInterrupt);
  bar?.stop();
  if (stop.signal.aborted) {
    target.clients.destroy();
    const landed = new Set(done.map((d) => d.path));
    const left = toUpload.filter((u) => !landed.has(u.path));
    output.data({ interrupted: true, uploaded: done, left: left.map((u) => u.path) });
    throw new CliError(
      130,
      `interrupted: ${done.length + alreadyThere.length} of ${uploads.length} uploaded, ${left.length} left (${left
        .slice(0, 3)
        .map((u) => printable(u.path))
        .join(
          ", ",
        )}${left.length > 3 ? ", …" : ""}): rerun the same command with --skip-existing to upload only those`,
    );
  }
  for (const f of failed)
    output.warn(
      `upload failed for ${printable(f.upload.path)}: ${f.error.name}: ${printable(f.error.message)}`,
    );
  const seconds = (performance.now() - started) / 1000;
  output.line(
    `uploaded ${done.length} of ${toUpload.length} files (${kib(sentBytes)}) to s3://${target.stack.bucket}/ in ${seconds.toFixed(2)} s${alreadyThere.length ? ` (${alreadyThere.length} already there)` : ""}`,
  );

  let missing = 0;
  let faultText: string | undefined;
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
    if (missing > 0) {
      // Why: the function's own error for each object (from its logs), and the faults the engine injects, if any.
      const { lastFunctionError } = await import("../../../src/pipeline/function-failure.ts");
      for (const r of done.filter((d) => !d.record)) {
        const error = await lastFunctionError(target.clients, target.stack, r.key, startedAt);
        if (error) r.functionError = error;
      }
      if (target.endpoint) faultText = describeFaults((await readEngineInfo(target.endpoint))?.faults);
    }
    for (const r of done.sort((a, b) => a.key.localeCompare(b.key))) {
      output.line(
        r.record
          ? `  ${output.ok("record")} ${printable(r.record.pk)} ${r.record.sk} ${output.dim(`${r.record.latencyMs} ms`)}`
          : `  ${output.bad("missing")} no record for ${printable(r.key)} (${r.etag}) after ${timeoutMs / 1000} s${r.functionError ? `: the function failed: ${printable(r.functionError)}` : ""}`,
      );
    }
  }
  output.data({
    bucket: target.stack.bucket,
    uploaded: done,
    failed: failed.map((f) => ({ path: f.upload.path, error: f.error.message })),
    skipped,
    skippedNotRegular: inputsFound.skipped.length,
    missingRecords: missing,
  });
  target.clients.destroy();
  if (failed.length > 0) throw new CheckFailedError(`${failed.length} uploads failed`);
  if (missing > 0)
    throw new CheckFailedError(
      `${missing} ${missing === 1 ? "record" : "records"} did not appear within ${timeoutMs / 1000} s${faultText ? ` (${faultText})` : ""}`,
    );
}
