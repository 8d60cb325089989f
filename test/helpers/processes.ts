import { readFileSync } from "node:fs";

/**
 * Whether process `pid` still runs (Linux, from /proc): a zombie or dead one (ended, not yet reaped by whoever
 * inherited it: state Z or X) counts as gone.
 */
export function processRunning(pid: number | string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2)[0] ?? "");
  } catch {
    return false;
  }
}
