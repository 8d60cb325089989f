import { processStamp } from "../../src/engine/lambda/code-root.ts";

/**
 * Whether process `pid` still runs: the engine's own reading (Linux: /proc, where a zombie or dead process, ended
 * but not yet reaped by whoever inherited it, counts as gone).
 */
export function processRunning(pid: number | string): boolean {
  return processStamp(Number(pid)) !== undefined;
}
