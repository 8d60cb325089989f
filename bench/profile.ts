/**
 * `npm run bench:profile [-- --objects 400] [-- --base <ref>]`: where each object's milliseconds go. Runs the
 * bench's 16-way closed loop (bench/e2e.ts) against `pipeline up` with `--cpu-prof` on the engine and on every
 * function process, then attributes each CPU sample to a part of the data path (edge, S3, notification, async
 * queue, IPC, the function's SDK calls, DynamoDB backend, logs) by the nearest frame that names one, and divides
 * by the objects. With `--base <ref>` the same runs for that commit's tree first (side by side, same machine).
 * Also prints the engine's and the function processes' CPU time per object from /proc: on a busy machine the
 * profiler's sample intervals include time the process waited for a core, so take the shares from the profile and
 * the scale from /proc. `--keep` keeps the .cpuprofile files (open them in Chrome DevTools) and the window.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../src/artifact/paths.ts";
import { createAwsClients } from "../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../src/aws/clients.ts";
import { checkoutTree } from "./base-tree.ts";
import { endToEnd, type Load } from "./e2e.ts";
import { processCpuMs, startUpProcess, treeCpuMs } from "./engine-process.ts";
import { describeLoad, recordMachineLoad } from "./load.ts";
import { round } from "./stats.ts";

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const load: Load = { objects: Number(argument("--objects") ?? 400), concurrency: 16, observe: "events" };
const baseRef = argument("--base");

/** Parts of the data path, matched against a frame's script URL (first match wins), nearest the leaf first. */
const parts: Array<[string, RegExp]> = [
  ["notification", /src\/engine\/s3\/(notifications|events|notifiers\/)|src\/engine\/lambda\/destination/],
  ["async queue", /src\/engine\/lambda\/(async-queue|invoke|event-invoke-config|destinations)/],
  [
    "IPC (engine ↔ function)",
    /src\/engine\/lambda\/(runner|environment|runtime-process|function-logs)|bootstrap\.mjs/,
  ],
  ["logs", /src\/engine\/logs\/|powertools/],
  ["DynamoDB backend", /src\/engine\/dynamodb\/|node_modules\/(dynalite|[a-z-]*level[a-z-]*|lazy|big\.js)\//],
  ["IAM/policy", /src\/engine\/(policy|iam|access-denied|sts)\//],
  ["S3", /src\/engine\/s3\//],
  ["edge", /src\/engine\/(edge|request-guard|request-limits|sigv4|service\/|control|health|context)/],
  ["dashboard event stream", /src\/dashboard\//],
  ["function handler + SDK", /\/function\.zip|var\/task|\/index\.mjs|\/chunks\//],
  ["engine other", /src\/engine\//],
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of CPU per part in one profile, of the samples taken within `window` (µs, CLOCK_MONOTONIC). */
function attribute(profile: CpuProfile, into: Map<string, number>, window: [number, number]): void {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, string>();
  const partOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const node = byId.get(id);
    let part: string | undefined;
    const name = node?.callFrame.functionName ?? "";
    if (name === "(idle)") part = "(idle)";
    else if (name === "(garbage collector)") part = "GC";
    else if (name === "(program)") part = "(program: V8/Node outside JS)";
    else {
      for (let at: number | undefined = id; at !== undefined && !part; at = parent.get(at)) {
        const url = byId.get(at)?.callFrame.url ?? "";
        part = parts.find(([, pattern]) => pattern.test(url))?.[0];
      }
      part ??= "node internals (no project frame)";
    }
    memo.set(id, part);
    return part;
  };
  // V8 stamps samples with CLOCK_MONOTONIC microseconds, the clock of process.hrtime in every process.
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window[0] || at > window[1]) return;
    const part = partOf(id);
    into.set(part, (into.get(part) ?? 0) + delta / 1000);
  });
}

function attributeDir(dir: string, window: [number, number]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")))
    attribute(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile, totals, window);
  return totals;
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

/** The function runtimes under `pid` (node processes running the Lambda bootstrap). */
function functionProcesses(pid: number): number[] {
  const found: number[] = [];
  const visit = (p: number) => {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes("bootstrap.mjs") && p !== pid) found.push(p);
      const children = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim();
      for (const c of children ? children.split(/\s+/) : []) visit(Number(c));
    } catch {
      // gone meanwhile
    }
  };
  visit(pid);
  // The launcher shell's command line names the bootstrap too; the runtime is the Node process under it.
  return found.filter((p) => readFileSync(`/proc/${p}/comm`, "utf8").trim() !== "sh");
}

interface TreeProfile {
  label: string;
  objectsPerSec: number;
  p50: number;
  engine: Map<string, number>;
  functions: Map<string, number>;
  engineCpuMs: number;
  treeCpuMs: number;
}

async function profileTree(label: string, root: string): Promise<TreeProfile> {
  const out = join(tmpdir(), `pipeline-profile-${label.replace(/\W/g, "_")}-${Date.now()}`);
  mkdirSync(join(out, "engine"), { recursive: true });
  mkdirSync(join(out, "function"), { recursive: true });
  const preload = join(repoRoot, "bench/profile-exit.cjs");
  // From the TypeScript sources (tsx), so that frames name their source files (the bundle's chunks would not).
  process.env.PIPELINE_FROM_SOURCE = "1";
  process.env.PIPELINE_LAMBDA_NODE_OPTIONS = `--require ${preload} --cpu-prof --cpu-prof-dir=${join(out, "function")}`;
  const up = await startUpProcess([], root, ["--cpu-prof", `--cpu-prof-dir=${join(out, "engine")}`]);
  delete process.env.PIPELINE_LAMBDA_NODE_OPTIONS;
  delete process.env.PIPELINE_FROM_SOURCE;
  let window: [number, number] = [0, 0];
  const clients = createAwsClients({
    endpoint: up.endpoint,
    region: "us-east-1",
    credentials: EMULATOR_CREDENTIALS,
  });
  const pid = up.child.pid as number;
  const result = { label } as TreeProfile;
  try {
    // Warm-up first (the function environments' cold starts, lazy imports), outside the profiled window.
    await endToEnd(up.endpoint, clients, pid, "uploads/warm-up/", { ...load, objects: 4 * load.concurrency });
    const treeBefore = treeCpuMs(pid);
    const engineBefore = processCpuMs(pid);
    const loadStarted = nowMicros();
    const run = await endToEnd(up.endpoint, clients, pid, "uploads/profile/", load);
    window = [loadStarted, nowMicros()];
    const tree = treeCpuMs(pid) - treeBefore;
    const engineCpu = processCpuMs(pid) - engineBefore;
    const sorted = [...run.latencies].sort((a, b) => a - b);
    Object.assign(result, {
      label,
      objectsPerSec: run.objectsPerSec,
      p50: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      engineCpuMs: engineCpu,
      treeCpuMs: tree,
    });
    return result;
  } finally {
    clients.destroy();
    const functions = functionProcesses(pid);
    for (const p of functions) process.kill(p, "SIGUSR2");
    await waitUntilGone(functions);
    await up.stop();
    // The profiles are written as the processes exit: the engine's on its way out, the functions' when the engine
    // disconnects them.
    result.engine = attributeDir(join(out, "engine"), window);
    result.functions = attributeDir(join(out, "function"), window);
    if (process.argv.includes("--keep")) {
      writeFileSync(join(out, "window.json"), JSON.stringify(window));
      process.stderr.write(
        `profiles kept in ${out} (window.json: the measured window, µs CLOCK_MONOTONIC)\n`,
      );
    } else rmSync(out, { recursive: true, force: true });
  }
}

async function waitUntilGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && pids.some((p) => existsSync(`/proc/${p}`)))
    await new Promise((resolve) => setTimeout(resolve, 50));
}

async function main(): Promise<void> {
  const trees: Array<{ label: string; root: string; remove?: () => void }> = [];
  const base = baseRef ? checkoutTree(baseRef) : undefined;
  if (baseRef && !base) throw new Error(`cannot check out ${baseRef}`);
  if (base) trees.push(base);
  trees.push({ label: "current", root: repoRoot });
  const machine = recordMachineLoad();
  const results: TreeProfile[] = [];
  try {
    for (const tree of trees) {
      results.push(await profileTree(tree.label, tree.root));
    }
  } finally {
    base?.remove();
  }
  print(results, describeLoad(machine.stop()));
}

function print(results: TreeProfile[], machine: string): void {
  const perObject = (ms: number) => round(ms / load.objects, 2);
  console.log(machine);
  for (const r of results) {
    console.log(
      `\n${r.label}: ${round(r.objectsPerSec)} objects/s, p50 ${round(r.p50)} ms; CPU per object (from /proc): engine ${perObject(r.engineCpuMs)} ms, engine + functions ${perObject(r.treeCpuMs)} ms`,
    );
    for (const [title, totals] of [
      ["engine process", r.engine],
      ["function processes", r.functions],
    ] as const) {
      const busy = [...totals].filter(([k]) => k !== "(idle)").reduce((sum, [, v]) => sum + v, 0);
      console.log(`  ${title}: ${perObject(busy)} ms CPU per object (profile samples)`);
      for (const [part, ms] of [...totals].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]))
        console.log(
          `    ${part.padEnd(36)} ${String(perObject(ms)).padStart(6)} ms  ${round((100 * ms) / busy)}%`,
        );
    }
  }
}

await main();
process.exit(0);
