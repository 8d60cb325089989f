import { mkdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { watch as watchFiles } from "chokidar";
import { currentFunctionSourceFiles } from "../../../src/artifact/build.ts";
import { FUNCTION_SOURCE_DIR } from "../../../src/artifact/paths.ts";
import { followLogEvents } from "../../../src/pipeline/logs.ts";
import { waitForRecord } from "../../../src/pipeline/records.ts";
import { redeployFunction } from "../../../src/pipeline/redeploy.ts";
import { markServing } from "../lifecycle.ts";
import { Output } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";
import { isTemporaryFile, planUploads } from "../upload-plan.ts";
import { formatLogEvent } from "./logs.ts";
import { uploadFiles } from "./upload.ts";

export interface WatchOptions extends GlobalOptions {
  prefix: string;
  any?: boolean;
  debounce: string;
  functionSource?: boolean;
}

/**
 * `pipeline watch [dir]`: uploads files added or changed in the folder, streams the function's logs and the
 * records written, and rebuilds + redeploys the function when its source changes.
 */
export async function watch(dir: string, options: WatchOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const target = await resolveTarget(options, ["documents", "logs", "lambda", "s3"]);
  await requireStack(target, ["bucket", "table", "function"]);
  const debounceMs = Math.max(0, Number(options.debounce) || 300);
  const controller = new AbortController();
  const emit = (event: Record<string, unknown>, text: string) => {
    output.data({ time: new Date().toISOString(), ...event });
    output.line(text);
  };

  // Debounce per path: editors and copy tools write a file in several steps.
  const pending = new Map<string, NodeJS.Timeout>();
  const uploadPath = async (path: string) => {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return; // removed before the debounce fired
    }
    const { uploads, skipped } = planUploads([{ path, root: folder, size }], {
      prefix: options.prefix,
      any: options.any,
    });
    for (const s of skipped) output.warn(`skipped ${s.path}: ${s.reason}`);
    const { done, failed } = await uploadFiles(target, uploads, { concurrency: 4 });
    for (const f of failed)
      emit(
        { event: "upload-failed", path: f.upload.path, error: f.error.message },
        output.bad(`upload failed ${f.upload.path}: ${f.error.message}`),
      );
    for (const result of done) {
      emit(
        { event: "uploaded", key: result.key, etag: result.etag, size: result.size },
        `${output.ok("uploaded")} ${result.key} (${result.size} bytes)`,
      );
      void waitForRecord(target.clients, target.stack, result.key, result.etag, {
        timeoutMs: 30_000,
        signal: controller.signal,
      }).then((found) =>
        found
          ? emit(
              {
                event: "record",
                pk: found.item.PK,
                sk: found.item.SK,
                latencyMs: Math.round(found.waitedMs),
              },
              `${output.ok("record")} ${found.item.PK} ${found.item.SK} ${output.dim(`${Math.round(found.waitedMs)} ms`)}`,
            )
          : emit(
              { event: "record-missing", key: result.key },
              output.bad(`no record for ${result.key} after 30 s`),
            ),
      );
    }
  };
  const schedule = (path: string) => {
    if (isTemporaryFile(path)) return;
    clearTimeout(pending.get(path));
    pending.set(
      path,
      setTimeout(() => {
        pending.delete(path);
        void uploadPath(path);
      }, debounceMs),
    );
  };
  const inbox = watchFiles(folder, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: Math.max(50, debounceMs / 2), pollInterval: 25 },
    ignored: (path) => path !== folder && isTemporaryFile(path),
  });
  inbox.on("add", schedule).on("change", schedule);
  const ready = [whenReady(inbox)];

  let sourceWatcher: ReturnType<typeof watchFiles> | undefined;
  if (options.functionSource !== false) {
    let deploying: Promise<void> | undefined;
    let again = false;
    const redeploy = async () => {
      if (deploying) {
        again = true;
        return;
      }
      deploying = (async () => {
        do {
          again = false;
          try {
            const { sourceFiles, ...result } = await redeployFunction(target.clients, target.stack, {
              realAws: target.kind === "aws",
            });
            watchSources(sourceFiles);
            emit(
              { event: "redeployed", ...result },
              `${output.ok("redeployed")} ${target.stack.functionName} in ${Math.round(result.totalMs)} ms (build ${Math.round(result.buildMs)} ms, deploy ${Math.round(result.deployMs)} ms)`,
            );
          } catch (error) {
            emit(
              { event: "redeploy-failed", error: (error as Error).message },
              output.bad(`redeploy failed: ${(error as Error).message}`),
            );
          }
        } while (again);
      })();
      await deploying;
      deploying = undefined;
    };
    let timer: NodeJS.Timeout | undefined;
    // The files the bundle is made of (the handler and every project file it imports, wherever it lives);
    // the set is refreshed after each build, as an edit may add or drop an import.
    let watched = new Set<string>();
    const watchSources = (files: string[]) => {
      const next = new Set(files);
      sourceWatcher?.unwatch([...watched].filter((f) => !next.has(f)));
      sourceWatcher?.add(files.filter((f) => !watched.has(f)));
      watched = next;
    };
    // A source that does not build yet still gets watched: its folder, until a build lists the files.
    const initialSources = await currentFunctionSourceFiles().catch((error: Error) => {
      output.warn(`${error.message}; watching ${FUNCTION_SOURCE_DIR} until it builds`);
      return [FUNCTION_SOURCE_DIR];
    });
    watched = new Set(initialSources);
    sourceWatcher = watchFiles(initialSources, { ignoreInitial: true });
    ready.push(whenReady(sourceWatcher));
    sourceWatcher.on("all", () => {
      clearTimeout(timer);
      timer = setTimeout(() => void redeploy(), 100);
    });
  }
  // "watching" promises both watchers: a source edit right after it must not fall before the initial scan.
  await Promise.all(ready);
  markServing();
  emit(
    { event: "watching", dir: folder, bucket: target.stack.bucket, prefix: options.prefix },
    `watching ${folder} -> s3://${target.stack.bucket}/${options.prefix} (Ctrl-C to stop)`,
  );

  const stop = async () => {
    controller.abort();
    for (const t of pending.values()) clearTimeout(t);
    await inbox.close();
    await sourceWatcher?.close();
    target.clients.destroy();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  void (async () => {
    for await (const event of followLogEvents(target.clients, target.stack.logGroupName, {
      startTime: Date.now(),
      signal: controller.signal,
    })) {
      output.data({ event: "log", timestamp: event.timestamp, message: event.message });
      output.line(formatLogEvent(event, output));
    }
  })().catch((error: Error) => output.warn(`log stream stopped: ${error.message}`));
}

// Listened for from the watcher's creation: "ready" may fire while other set-up is awaited.
function whenReady(watcher: ReturnType<typeof watchFiles>): Promise<void> {
  return new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
}
