import { readFileSync } from "node:fs";

/**
 * A function's `MemorySize` as a limit: the V8 heap cap its Node.js child starts with, and the peak resident
 * set size the parent reads from `/proc` to tell when the environment has outgrown it (AWS's cgroup would
 * kill it then).
 */

const heapFlag = /^--max[-_]old[-_]space[-_]size(=|$)/;

/**
 * The Node.js flags an execution environment's child starts with: the user's own (`PIPELINE_LAMBDA_NODE_OPTIONS`)
 * plus `--max-old-space-size` at 90% of the memory size, as the Lambda Node.js runtime's bootstrap sets it
 * (the rest is headroom for the runtime itself and off-heap buffers). A heap size the user chose, in those
 * flags or in the function's own `NODE_OPTIONS`, wins and ours is left out.
 *
 * @example childNodeFlags(128, ["--enable-source-maps"]) // ["--enable-source-maps", "--max-old-space-size=115"]
 */
export function childNodeFlags(
  memorySizeMb: number,
  userFlags: readonly string[],
  nodeOptions = "",
): string[] {
  const userSetHeap = [...userFlags, ...nodeOptions.split(/\s+/)].some((flag) => heapFlag.test(flag));
  return userSetHeap ? [...userFlags] : [...userFlags, `--max-old-space-size=${heapLimitMb(memorySizeMb)}`];
}

/** `--max-old-space-size` for a memory size: 90% of it, in MB. */
export function heapLimitMb(memorySizeMb: number): number {
  return Math.floor((memorySizeMb * 9) / 10);
}

/**
 * The peak resident set size (`VmHWM`, in MB) in the text of `/proc/<pid>/status`, or undefined when absent.
 *
 * @example parsePeakRssMb("VmHWM:\t  51200 kB\n") === 50
 */
export function parsePeakRssMb(status: string): number | undefined {
  const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
}

/**
 * Reads a process's peak RSS in MB from procfs; undefined where there is none (macOS, Windows) or the process
 * is gone. One small synchronous read (tens of microseconds), done only while an invocation runs.
 */
export function readPeakRssMb(pid: number): number | undefined {
  try {
    return parsePeakRssMb(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}
