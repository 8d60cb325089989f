import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/**
 * The machine's load during a bench: the load average and the CPU that processes other than the bench and what it
 * started used, from /proc. A run is marked `loaded` when others used more than a tenth of one core on average over
 * it (the load average is recorded too, but lags by minutes and counts the bench's own start): its figures are then
 * kept apart from the idle ones.
 */
export interface MachineLoad {
  loadavgAtStart: number[];
  loadavgAtEnd: number[];
  /** CPU used by other processes over the run, in percent of one core (200 = both cores of a 2-core machine). */
  othersCpuPercent: number;
  /** The busiest other processes over the run (command and percent of one core). */
  busiestOthers: Array<{ command: string; cpuPercent: number }>;
  seconds: number;
  loaded: boolean;
}

const tickMs = 10;

function fieldsOf(pid: string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return [
      text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")),
      ...text.slice(text.lastIndexOf(")") + 2).split(" "),
    ];
  } catch {
    return undefined;
  }
}

interface Snapshot {
  at: number;
  busyMs: number;
  /** pid → [command, parent pid, own CPU ms, reaped children's CPU ms, start time (ticks since boot), session] */
  processes: Map<string, [string, string, number, number, string, string]>;
}

function snapshot(): Snapshot {
  const cpu =
    readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busyTicks = cpu.reduce((sum, v, i) => (i === 3 || i === 4 || i > 7 ? sum : sum + v), 0);
  const processes = new Map<string, [string, string, number, number, string, string]>();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const f = fieldsOf(pid);
    // After the command: state(1) ppid(2) ... utime(12) stime(13) cutime(14) cstime(15) session(4) ... starttime(20).
    if (f)
      processes.set(pid, [
        f[0] ?? "",
        f[2] ?? "",
        (Number(f[12]) + Number(f[13])) * tickMs,
        (Number(f[14]) + Number(f[15])) * tickMs,
        f[20] ?? "",
        f[4] ?? "",
      ]);
  }
  return { at: performance.now(), busyMs: busyTicks * tickMs, processes };
}

/** Whether `pid` is this process or one of its descendants, in `processes`. */
function ours(pid: string, processes: Snapshot["processes"]): boolean {
  for (let at: string | undefined = pid, hops = 0; at && at !== "0" && hops < 64; hops++) {
    if (at === String(process.pid)) return true;
    at = processes.get(at)?.[1];
  }
  return false;
}

/** How often the processes the bench started are sampled (see `recordMachineLoad`). */
const sampleEveryMs = 250;

/** Starts recording; `stop()` returns the load over the interval. */
export function recordMachineLoad(): { stop(): MachineLoad } {
  const start = snapshot();
  const loadavgAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
  // A function's runtime runs under a launcher shell that leads a session of its own. When the engine kills that
  // group, the runtime outlives the shell for a moment, is re-parented to init and reaped there, so its CPU never
  // reaches the bench's cutime and would count as another process's (about 30% of one core in a full run on an
  // idle machine). So the processes in the bench's tree are sampled, and the CPU last seen of each that died with
  // its session-leading parent is added to the bench's own.
  const seen = new Map<string, { startMs: number; lastMs: number; parent: string; parentLeads: boolean }>();
  const sample = () => {
    const now = snapshot();
    for (const [pid, p] of now.processes) {
      if (!ours(pid, now.processes)) continue;
      const parent = now.processes.get(p[1]);
      const key = `${pid}:${p[4]}`;
      const before = start.processes.get(pid);
      const startMs = seen.get(key)?.startMs ?? (before && before[4] === p[4] ? before[2] : 0);
      seen.set(key, {
        startMs,
        lastMs: p[2],
        parent: parent ? `${p[1]}:${parent[4]}` : "",
        parentLeads: parent !== undefined && parent[5] === p[1],
      });
    }
  };
  sample();
  const sampler = setInterval(sample, sampleEveryMs);
  sampler.unref();
  return {
    stop() {
      clearInterval(sampler);
      sample();
      const end = snapshot();
      const seconds = (end.at - start.at) / 1000;
      const alive = (key: string) => end.processes.get(key.split(":")[0] ?? "")?.[4] === key.split(":")[1];
      // Ours: this process and its live descendants (own and reaped children's CPU, which holds what exited and was
      // reaped by them), plus the orphaned runtimes above.
      const reapedMs = (s: Snapshot) =>
        [...s.processes]
          .filter(([pid]) => ours(pid, s.processes))
          .reduce((sum, [, p]) => sum + p[2] + p[3], 0);
      const orphanedMs = [...seen]
        .filter(([key, p]) => p.parentLeads && !alive(key) && !alive(p.parent))
        .reduce((sum, [, p]) => sum + p.lastMs - p.startMs, 0);
      const ourMs = reapedMs(end) - reapedMs(start) + orphanedMs;
      const othersMs = Math.max(0, end.busyMs - start.busyMs - ourMs);
      const busiest = [...end.processes]
        .filter(([pid]) => !ours(pid, end.processes))
        .map(([pid, p]) => ({ command: p[0], ms: p[2] - (start.processes.get(pid)?.[2] ?? p[2]) }))
        .filter((p) => p.ms > 0)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((p) => ({ command: p.command, cpuPercent: Math.round((p.ms / 10 / seconds) * 10) / 10 }));
      const othersCpuPercent = Math.round((othersMs / 10 / seconds) * 10) / 10;
      return {
        loadavgAtStart,
        loadavgAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
        othersCpuPercent,
        busiestOthers: busiest,
        seconds: Math.round(seconds),
        loaded: othersCpuPercent > 10,
      };
    },
  };
}

/** One line for logs and the doc: load averages, others' CPU, the busiest others. */
export function describeLoad(load: MachineLoad): string {
  const others = load.busiestOthers.map((p) => `${p.command} ${p.cpuPercent}%`).join(", ");
  return `${load.loaded ? "LOADED" : "idle"} machine (${cpus().length} cores): loadavg ${load.loadavgAtStart.join(" ")} at start, ${load.loadavgAtEnd.join(" ")} at end; other processes used ${load.othersCpuPercent}% of one core over ${load.seconds} s${others ? ` (busiest: ${others})` : ""}`;
}
