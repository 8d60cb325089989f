import { spawn } from "node:child_process";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createAwsClients } from "../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../src/aws/clients.ts";
import { stripETagQuotes } from "../src/function/record.ts";
import { waitForRecord } from "../src/pipeline/records.ts";
import { defineStack } from "../src/stack/spec.ts";
import type { Tree } from "./base-tree.ts";
import { endToEnd, fixtures, floor, type Load } from "./e2e.ts";
import { startUpProcess } from "./engine-process.ts";
import { percentile, round, type Summary, summarize } from "./stats.ts";

/**
 * The figures a person feels, for this tree and the base commit's in the same run, alternating so neither gets the
 * quieter machine: the CLI's start (`pipeline --version` against a bare `node -e 0`), `up` → ready and the first
 * record, and the end-to-end closed loop with its raw-SDK floor on the same engine.
 */

const stack = defineStack();
const clientsFor = (endpoint: string) =>
  createAwsClients({ endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS });

function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env, answered = [0]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) =>
      code !== null && answered.includes(code)
        ? resolve(performance.now() - started)
        : reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr.trim().split("\n").at(-1)}`)),
    );
  });
}

export interface CliStartup {
  /** `node -e 0`: the floor any Node program pays. */
  nodeBareMs: Summary;
  /** `pipeline --version` through each tree's cli/bin/pipeline.js, by tree label. */
  versionMs: Record<string, Summary>;
}

/** Spawn → exit of `node -e 0` and of each tree's `pipeline --version`, one warm-up each, then `runs` rounds. */
export async function cliStartup(trees: Tree[], runs: number): Promise<CliStartup> {
  const bin = (tree: Tree) => [join(tree.root, "cli/bin/pipeline.js"), "--version"];
  await timeProcess(["-e", "0"]);
  for (const tree of trees) await timeProcess(bin(tree));
  const bare: number[] = [];
  const version = new Map<string, number[]>(trees.map((t) => [t.label, []]));
  for (let i = 0; i < runs; i++) {
    bare.push(await timeProcess(["-e", "0"]));
    for (const tree of trees) version.get(tree.label)?.push(await timeProcess(bin(tree)));
  }
  return {
    nodeBareMs: summarize(bare),
    versionMs: Object.fromEntries([...version].map(([label, samples]) => [label, summarize(samples)])),
  };
}

/** The verbs a person runs most against a running stack, timed spawn → exit. */
export const TIMED_VERBS = ["status", "logs", "failed"] as const;

/**
 * Spawn → exit of each tree's `pipeline status`, `logs` and `failed` against one `pipeline up` of this tree (its
 * stack provisioned, nothing uploaded), one warm-up each, then `runs` rounds alternating the trees: the time a
 * person waits for the CLI's answer, beside `node -e 0` of the same run (CliStartup). A base whose verb fails
 * (it may predate the verb) gets no figure.
 */
export async function cliVerbs(
  trees: Tree[],
  runs: number,
): Promise<Record<string, Record<string, Summary | undefined>>> {
  const up = await startUpProcess();
  const env = { ...process.env, PIPELINE_ENDPOINT: up.endpoint, NO_COLOR: "1" };
  const result: Record<string, Record<string, Summary | undefined>> = {};
  try {
    for (const verb of TIMED_VERBS) {
      const samples = new Map<string, number[]>();
      // Exit 1 is an answer too ("a check failed": a base's status judges the stack by its own build).
      const run = (tree: Tree) => timeProcess([join(tree.root, "cli/bin/pipeline.js"), verb], env, [0, 1]);
      for (const tree of trees) {
        const answered = await run(tree).then(
          () => true,
          (error: unknown) => (tree.label === "current" ? Promise.reject(error) : false),
        );
        if (answered) samples.set(tree.label, []);
      }
      for (let i = 0; i < runs; i++)
        for (const tree of i % 2 === 0 ? trees : [...trees].reverse()) {
          const taken = samples.get(tree.label);
          if (taken) taken.push(await run(tree));
        }
      result[verb] = Object.fromEntries(
        trees.map((t) => [t.label, samples.has(t.label) ? summarize(samples.get(t.label) ?? []) : undefined]),
      );
    }
  } finally {
    await up.stop();
  }
  return result;
}

export interface ColdStart {
  ready: Summary;
  firstRecord: Summary;
}

/** `pipeline up` spawn → ready line, and → the first upload's record, `runs` times per tree, alternating. */
export async function coldStarts(trees: Tree[], runs: number): Promise<Record<string, ColdStart>> {
  const samples = new Map(trees.map((t) => [t.label, { ready: [] as number[], first: [] as number[] }]));
  for (let i = 0; i < runs; i++) {
    for (const tree of i % 2 === 0 ? trees : [...trees].reverse()) {
      const up = await startUpProcess([], tree.root);
      const clients = clientsFor(up.endpoint);
      try {
        const put = await clients.s3.send(
          new PutObjectCommand({
            Bucket: stack.bucket,
            Key: "uploads/first.jpg",
            Body: fixtures[0]?.body,
            ContentType: "image/jpeg",
          }),
        );
        const found = await waitForRecord(
          clients,
          stack,
          "uploads/first.jpg",
          stripETagQuotes(put.ETag ?? ""),
          {
            timeoutMs: 30_000,
          },
        );
        if (!found) throw new Error(`cold start (${tree.label}): first record never appeared`);
        samples.get(tree.label)?.ready.push(up.readyMs);
        samples.get(tree.label)?.first.push(performance.now() - up.startedAt);
      } finally {
        clients.destroy();
        await up.stop();
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([label, s]) => [label, { ready: summarize(s.ready), firstRecord: summarize(s.first) }]),
  );
}

export interface EndToEndFigures {
  latencies: number[];
  warmLatencies: number[];
  throughput: Summary;
  floor: Summary;
  peakEngineRssMb: number;
  peakTreeRssMb: number;
}

/** The end-to-end figures as results.json keeps them. */
export function e2eFigures(f: EndToEndFigures) {
  const sorted = [...f.latencies].sort((a, b) => a - b);
  const sortedWarm = [...f.warmLatencies].sort((a, b) => a - b);
  return {
    e2eP50Ms: round(percentile(sorted, 50)),
    e2eP95Ms: round(percentile(sorted, 95)),
    e2eP99Ms: round(percentile(sorted, 99)),
    e2eP50WarmMs: round(percentile(sortedWarm, 50)),
    e2eP99WarmMs: round(percentile(sortedWarm, 99)),
    e2eObjectsPerSec: round(f.throughput.median),
    floorObjectsPerSec: round(f.floor.median),
    ratioToFloor: round(f.throughput.median / f.floor.median, 2),
  };
}

/**
 * `runs` end-to-end runs per tree, alternating (each on a fresh `pipeline up`, then the floor on the same engine).
 * `afterRun` gets the first run's clients of the first tree (the redeploy figure).
 */
export async function endToEndRuns(
  trees: Tree[],
  runs: number,
  load: Load,
  options: {
    upArgs: string[];
    warmUpUploads: number;
    log: (text: string) => void;
    afterFirstRun?: (clients: AwsClients) => Promise<void>;
  },
): Promise<Record<string, EndToEndFigures>> {
  const samples = new Map(
    trees.map((t) => [
      t.label,
      {
        latencies: [] as number[],
        warm: [] as number[],
        rates: [] as number[],
        floors: [] as number[],
        rss: [0],
        tree: [0],
      },
    ]),
  );
  for (let r = 0; r < runs; r++) {
    for (const tree of r % 2 === 0 ? trees : [...trees].reverse()) {
      const up = await startUpProcess(options.upArgs, tree.root);
      const clients = clientsFor(up.endpoint);
      const into = samples.get(tree.label);
      try {
        const run = await endToEnd(up.endpoint, clients, up.child.pid, `uploads/bench-${r}/`, load);
        await clients.s3.send(new CreateBucketCommand({ Bucket: "bench-floor" }));
        const floorRate = await floor(clients, "bench-floor", `floor-${r}/`, load);
        into?.latencies.push(...run.latencies);
        into?.warm.push(...run.latencies.slice(options.warmUpUploads));
        into?.rates.push(run.objectsPerSec);
        into?.floors.push(floorRate);
        into?.rss.push(run.peakEngineRssMb);
        into?.tree.push(run.peakTreeRssMb);
        if (r === 0 && tree === trees[0]) await options.afterFirstRun?.(clients);
        options.log(
          `bench: end-to-end run ${r + 1}/${runs} (${tree.label}): ${round(run.objectsPerSec)} objects/s, floor ${round(floorRate)} objects/s`,
        );
      } finally {
        clients.destroy();
        await up.stop();
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([label, s]) => [
      label,
      {
        latencies: s.latencies,
        warmLatencies: s.warm,
        throughput: summarize(s.rates),
        floor: summarize(s.floors),
        peakEngineRssMb: Math.max(...s.rss),
        peakTreeRssMb: Math.max(...s.tree),
      },
    ]),
  );
}

/** The sustained figures of one tree: the same closed loop and floor, each measured after a long warm-up. */
export interface SustainedFigures {
  e2eObjectsPerSec: number;
  floorObjectsPerSec: number;
  ratioToFloor: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
}

/**
 * The end-to-end loop and its floor once every process has warmed up: on a fresh `pipeline up`, `warmUpObjects`
 * uploads through the pipeline, then `load.objects` measured as in {@link endToEndRuns}; then the floor on the same
 * engine, `warmUpObjects` first and `load.objects` measured. The figures of {@link endToEndRuns} start cold and
 * include the JIT warm-up of the engine, the four function environments and the uploading client (about 2 ms of CPU
 * per invocation over an environment's first 250; docs/benchmarks.md, eighth session): these show the capacity
 * underneath. One run per tree, this tree first.
 */
export async function sustainedRuns(
  trees: Tree[],
  load: Load,
  options: { upArgs: string[]; warmUpObjects: number; log: (text: string) => void },
): Promise<Record<string, SustainedFigures>> {
  const figures: Record<string, SustainedFigures> = {};
  for (const tree of trees) {
    const up = await startUpProcess(options.upArgs, tree.root);
    const clients = clientsFor(up.endpoint);
    try {
      const warmUp = { ...load, objects: options.warmUpObjects };
      await endToEnd(up.endpoint, clients, up.child.pid, "uploads/sustained-warm-up/", warmUp);
      const run = await endToEnd(up.endpoint, clients, up.child.pid, "uploads/sustained/", load);
      await clients.s3.send(new CreateBucketCommand({ Bucket: "bench-floor" }));
      await floor(clients, "bench-floor", "floor-warm-up/", warmUp);
      const floorRate = await floor(clients, "bench-floor", "floor/", load);
      const sorted = [...run.latencies].sort((a, b) => a - b);
      figures[tree.label] = {
        e2eObjectsPerSec: round(run.objectsPerSec),
        floorObjectsPerSec: round(floorRate),
        ratioToFloor: round(run.objectsPerSec / floorRate, 2),
        e2eP50Ms: round(percentile(sorted, 50)),
        e2eP99Ms: round(percentile(sorted, 99)),
      };
      options.log(
        `bench: sustained run (${tree.label}, after ${options.warmUpObjects} uploads): ${round(run.objectsPerSec)} objects/s, floor ${round(floorRate)} objects/s`,
      );
    } finally {
      clients.destroy();
      await up.stop();
    }
  }
  return figures;
}
