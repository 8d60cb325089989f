import { readFileSync } from "node:fs";

/**
 * A function's `MemorySize` as a limit: the V8 heap cap its Node.js child starts with, and the peak resident
 * set size the parent reads from `/proc` to tell when the environment has outgrown it (AWS's cgroup would
 * kill it then).
 */

const heapFlag = /^--max[-_]old[-_]space[-_]size(=|$)/;
const semiSpaceFlag = /^--max[-_]semi[-_]space[-_]size(=|$)/;

/**
 * The Node.js flags an execution environment's child starts with: the user's own (`PIPELINE_LAMBDA_NODE_OPTIONS`)
 * plus the heap sizes the Lambda Node.js runtime's bootstrap (`/var/runtime/bootstrap`) derives from
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (docs/engine.md cites it): a tenth of the memory is the young generation, so
 * `--max-semi-space-size` is a twentieth and `--max-old-space-size` the rest. The young generation's size matters
 * beyond fidelity: V8 sizes it from the old space when only that is given (a few MB for a small function), and a
 * handler making SDK calls then spends a tenth of its CPU in scavenges. A size the user chose, in those flags or in
 * the function's own `NODE_OPTIONS`, wins and ours is left out.
 *
 * @example childNodeFlags(128, ["--enable-source-maps"]) // ["--enable-source-maps", "--max-semi-space-size=6", "--max-old-space-size=116"]
 */
export function childNodeFlags(
  memorySizeMb: number,
  userFlags: readonly string[],
  nodeOptions = "",
): string[] {
  const chosen = [...userFlags, ...nodeOptions.split(/\s+/)];
  const flags = [...userFlags];
  if (!chosen.some((flag) => semiSpaceFlag.test(flag)))
    flags.push(`--max-semi-space-size=${semiSpaceMb(memorySizeMb)}`);
  if (!chosen.some((flag) => heapFlag.test(flag)))
    flags.push(`--max-old-space-size=${heapLimitMb(memorySizeMb)}`);
  return flags;
}

/** The young generation: a tenth of the memory size, in whole MB (the bootstrap's shell arithmetic). */
const youngGenerationMb = (memorySizeMb: number) => Math.floor(memorySizeMb / 10);

/** `--max-semi-space-size` for a memory size: half the young generation, in MB. */
function semiSpaceMb(memorySizeMb: number): number {
  return Math.floor(youngGenerationMb(memorySizeMb) / 2);
}

/** `--max-old-space-size` for a memory size: what the young generation leaves, in MB. */
function heapLimitMb(memorySizeMb: number): number {
  return memorySizeMb - youngGenerationMb(memorySizeMb);
}

/**
 * The peak resident set size (`VmHWM`, in MB) in the text of `/proc/<pid>/status`, or undefined when absent.
 *
 * @example parsePeakRssMb("VmHWM:\t  51200 kB\n") === 50
 */
function parsePeakRssMb(status: string): number | undefined {
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
