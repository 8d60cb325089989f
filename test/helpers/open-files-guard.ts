import type { EventEmitter } from "node:events";
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { afterAll } from "vitest";

/**
 * A test file fails when it leaves a file it opened with `fs/promises` open. The garbage collector closes such a
 * file later, in the middle of another file's output, with Node's DEP0137 warning ("Closing file descriptor 19 on
 * garbage collection"): that is how sqs-store.test.ts's unclosed journals showed in CI logs. On Node 25 the same
 * close throws instead (DEP0137 reached End-of-Life in nodejs/node#58536), ending the process; in the engine it would
 * end the engine. Every `open` made in this worker (the engine's sources in process included) is recorded with where
 * it was made; a file is open until its FileHandle emits "close" (however it was closed: `close()`, or a stream's
 * autoClose; Node's fs docs, "Event: 'close'").
 */
interface OpenedFile {
  handle: WeakRef<fsPromises.FileHandle>;
  path: string;
  where: string;
  closed: boolean;
}

const opened = new Set<OpenedFile>();
/** Files the garbage collector took while still open: what printed the warning. */
const collectedOpen: string[] = [];
const collected = new FinalizationRegistry<OpenedFile>((entry) => {
  opened.delete(entry);
  if (!entry.closed)
    collectedOpen.push(`${entry.path} (closed by the garbage collector, opened at ${entry.where})`);
});
const originalOpen = fsPromises.open;

async function recordingOpen(...args: Parameters<typeof originalOpen>): Promise<fsPromises.FileHandle> {
  // The callers' frames, not this function's: taken before the await, which would cut the stack.
  const where = (new Error().stack ?? "")
    .split("\n")
    .slice(2, 7)
    .map((frame) => frame.trim().replace(/^at /, ""))
    .join(" < ");
  const handle = await originalOpen(...args);
  const entry: OpenedFile = { handle: new WeakRef(handle), path: String(args[0]), where, closed: false };
  // A FileHandle emits "close" however it is closed (its close(), or a stream's autoClose); @types/node omits that it
  // is an EventEmitter.
  (handle as unknown as EventEmitter).once("close", () => {
    entry.closed = true;
    opened.delete(entry);
  });
  opened.add(entry);
  collected.register(handle, entry);
  return handle;
}

fsPromises.open = recordingOpen;
// ES module imports of node:fs/promises (the engine's, the tests') see the recording `open` too.
syncBuiltinESMExports();

afterAll(() => {
  const left = collectedOpen.splice(0);
  for (const entry of opened) {
    const handle = entry.handle.deref();
    if (handle !== undefined && handle.fd !== -1) {
      left.push(`${entry.path} (fd ${handle.fd}, opened at ${entry.where})`);
      // Closed here so the next file in this worker starts clean; reported so the leak is fixed where it is.
      void handle.close();
    }
  }
  opened.clear();
  if (left.length > 0) throw new Error(`this test file left ${left.length} file(s) open: ${left.join("; ")}`);
});
