import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Where an engine without a data directory unpacks its functions' code: `pipeline-lambda-*` in the temp directory,
 * each with an `owner` file naming the engine's process. An engine that exits removes its own; one that was killed
 * (SIGKILL, an out-of-memory kill, a closed terminal before `up` handled SIGHUP) cannot, so the next engine to create
 * a code root removes those whose owner is gone: about 20 MB each, which otherwise pile up in the temp directory.
 */

/**
 * How unpacked code is removed: retried, since a runtime SIGKILLed in the middle of a write (its compile cache, its
 * own files) may still finish that one system call after its process was reported gone.
 */
export const removeRetrying = { recursive: true, force: true, maxRetries: 3, retryDelay: 20 } as const;

const CODE_ROOT_PREFIX = "pipeline-lambda-";
const OWNER_FILE = "owner";

/**
 * A process as the kernel knows it: its pid and, on Linux, its start time (`/proc/<pid>/stat` field 22), so a pid
 * reused by a later process does not pass for the one that wrote it. Undefined when no such process runs (on
 * Linux, a zombie counts as gone).
 */
export function processStamp(pid: number): string | undefined {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces and parentheses) start at field 3.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // A zombie or dead process (ended, not yet reaped: state Z or X) runs no more.
      return fields[0] === "Z" || fields[0] === "X" ? undefined : `${pid} ${fields[19]}`;
    } catch {
      return undefined;
    }
  }
  try {
    process.kill(pid, 0);
    return String(pid);
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM" ? String(pid) : undefined;
  }
}

/** Creates this engine's code root under `tempDirectory`, then removes the code roots of engines that are gone. */
export function createTempCodeRoot(tempDirectory: string, log: (message: string) => void): string {
  const root = mkdtempSync(join(tempDirectory, CODE_ROOT_PREFIX));
  const stamp = processStamp(process.pid);
  if (stamp !== undefined) writeFileSync(join(root, OWNER_FILE), stamp);
  removeOrphanedCodeRoots(tempDirectory, root, log);
  return root;
}

/**
 * Removes the code roots under `tempDirectory` whose owner process no longer runs. One without an owner file (being
 * created this moment, or from an engine before owner files) or not readable (another user's) is left alone.
 */
export function removeOrphanedCodeRoots(
  tempDirectory: string,
  keep: string,
  log: (message: string) => void,
): void {
  let names: string[];
  try {
    names = readdirSync(tempDirectory);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(CODE_ROOT_PREFIX)) continue;
    const root = join(tempDirectory, name);
    if (root === keep) continue;
    let owner: string;
    try {
      if (!lstatSync(root).isDirectory()) continue;
      owner = readFileSync(join(root, OWNER_FILE), "utf8").trim();
    } catch {
      continue;
    }
    const pid = Number(owner.split(" ")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || processStamp(pid) === owner) continue;
    try {
      rmSync(root, removeRetrying);
      log(`lambda: removed ${root}, unpacked code an engine that was killed (pid ${pid}) left behind`);
    } catch (error) {
      log(`lambda: could not remove ${root}, left by a killed engine: ${String(error)}`);
    }
  }
}
