import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../src/artifact/paths.ts";

/** `pipeline up` as a child process, exactly as a user starts it, with its ready line parsed. */
export interface UpProcess {
  child: ChildProcess;
  endpoint: string;
  /** Process spawn → ready line, measured by the bench (not self-reported). */
  readyMs: number;
  startedAt: number;
  stop(): Promise<void>;
}

/**
 * Starts `pipeline up --json --port 0 ...args` from the checkout at `root` (default this one); `nodeFlags` go to its
 * Node (e.g. `--cpu-prof`, which NODE_OPTIONS does not take).
 */
export async function startUpProcess(
  args: string[] = [],
  root = repoRoot,
  nodeFlags: string[] = [],
): Promise<UpProcess> {
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(root, "cli/bin/pipeline.js"), "--json", "up", "--port", "0", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`pipeline up exited with ${code}: ${stderr.trim().split("\n").at(-1)}`)),
    );
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; endpoint?: string };
        if (event.event === "ready" && event.endpoint) resolve(event.endpoint);
      } catch {
        // not a JSON line
      }
    });
  });
  const readyMs = performance.now() - startedAt;
  return {
    child,
    endpoint,
    readyMs,
    startedAt,
    stop: () => stopChild(child),
  };
}

/** Ends a child process: SIGTERM, and SIGKILL when it has not exited 5 s later. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

/** Peak resident set size of a process (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** A process and its descendants (the function execution environments), as /proc shows them now. */
function processTree(pid: number): number[] {
  const pids: number[] = [];
  const visit = (p: number) => {
    pids.push(p);
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim();
      for (const c of children ? children.split(/\s+/) : []) visit(Number(c));
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return pids;
}

/** Current RSS of a process and all its descendants, in MB. */
export function treeRssMb(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0) / 1024;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** utime + stime of one process, in ms (clock ticks of 10 ms); 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The same for a process and its descendants. */
export function treeCpuMs(pid: number): number {
  return processTree(pid).reduce((total, p) => total + processCpuMs(p), 0);
}
