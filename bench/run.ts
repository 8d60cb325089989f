/**
 * `npm run bench [-- --quick]`: every figure measured side by side in one run against engines this script starts,
 * printed with its target and written to bench/results.json. Medians of several runs, with min and max.
 * `npm run bench -- --only engine-import` measures only the engine's import and `up --bare` (against the engine
 * before issue 15, see bench/engine-import.ts) and updates those figures in results.json. `--node 24` runs the whole
 * bench on that Node major (bench/bench-node.ts), into bench/results.node24.json.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { zipSync } from "fflate";
import pLimit from "p-limit";
import { repoRoot } from "../src/artifact/paths.ts";
import { createAwsClients } from "../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../src/aws/clients.ts";
import { startEngine } from "../src/engine/index.ts";
import { RuntimeResolver } from "../src/engine/lambda/runtimes.ts";
import { redeployFunction } from "../src/pipeline/redeploy.ts";
import { defineStack } from "../src/stack/spec.ts";
import { compareArtifacts } from "./artifact-compare.ts";
import { BENCH_BASE_REF, checkoutTree, type Tree } from "./base-tree.ts";
import { BenchNodeError, requestedNodeMajor, rerunOnNode, resultsFiles } from "./bench-node.ts";
import type { Load } from "./e2e.ts";
import { type EngineImportResult, measureEngineImport } from "./engine-import.ts";
import { describeLoad, recordMachineLoad } from "./load.ts";
import { persistSection } from "./persist.ts";
import { measureRequestOverhead, requestOverheadRows } from "./request-overhead.ts";
import {
  type ColdStart,
  cliStartup,
  cliVerbs,
  coldStarts,
  type EndToEndFigures,
  e2eFigures,
  endToEndRuns,
  type SustainedFigures,
  sustainedRuns,
} from "./side-by-side.ts";
import { round, type Summary, summarize } from "./stats.ts";
import type { ObserverKind } from "./written-observer.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const quick = process.argv.includes("--quick");
const onlyIndex = process.argv.indexOf("--only");
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1] : undefined;
const outIndex = process.argv.indexOf("--out");
let nodeMajor: number | undefined;
try {
  nodeMajor = requestedNodeMajor(process.argv);
  const status = nodeMajor === undefined ? undefined : rerunOnNode(nodeMajor);
  if (status !== undefined) process.exit(status);
} catch (error) {
  if (!(error instanceof BenchNodeError)) throw error;
  console.error(`bench: ${error.message}`);
  process.exit(2);
}
const files = resultsFiles(outIndex > 0 ? process.argv[outIndex + 1] : undefined, nodeMajor);
const resultsPath = files.explicit ? files.idle : join(repoRoot, files.idle);
/** `--quick` is a smoke run of every code path (CI, and the workflow suite under npm test): one run each, not a median. */
const runs = quick ? 1 : 3;
const loadedResultsPath = join(repoRoot, files.loaded);
const e2eObjects = quick ? 150 : 1000;
/**
 * Engine imports of each tree per run: an import takes a third of a second and this VM's speed drifts within seconds,
 * so a full run takes several, in alternating order (bench/engine-import.ts).
 */
const importsPerRun = quick ? 1 : 4;

/** Requests of each kind measured per run of the per-request overhead (after 3,000 to warm up). */
const overheadRequests = quick ? 500 : 3000;
/** Fresh engines per runtime for the cold invoke figures of a full run (see lambdaInvokesByRuntime). */
const LAMBDA_COLD_ROUNDS = 7;
/** Requests of each kind sent first, unmeasured: the JIT settles over the first few thousand (a smoke run skips it). */
const overheadWarmup = quick ? 300 : 3000;
const concurrency = 16;
/**
 * Each run starts a fresh `pipeline up`, so its first uploads wait for function environments to start (cold starts
 * of ~100+ ms): with 1,000 uploads those are over 1% of the samples and set the p99. The figures "after warm-up"
 * leave out the first 4 × concurrency uploads of each run.
 */
const warmUpUploads = 4 * concurrency;
/**
 * Uploads before the sustained figures (full runs only): enough for every process's JIT to settle (this session's
 * probe: 219 objects/s after 1,000, 261 after 3,000, against 155 from cold in the same hour).
 */
const sustainedWarmUp = Number(process.env.BENCH_SUSTAINED_WARM_UP ?? 3000);
/** `pipeline up` flags for the end-to-end runs (BENCH_UP_ARGS="--lambda-concurrency 8" to compare settings). */
const upArgs = (process.env.BENCH_UP_ARGS ?? "").split(/\s+/).filter(Boolean);
/** How a written record is seen (bench/written-observer.ts): the engine's event stream, or log polling. */
const observe: ObserverKind = process.env.BENCH_OBSERVE === "logs" ? "logs" : "events";
const stack = defineStack();
const clientsFor = (endpoint: string) =>
  createAwsClients({ endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS });
const log = (text: string) => process.stderr.write(`${text}\n`);
const load: Load = { objects: e2eObjects, concurrency, observe };

/** Time from a source change to the new code serving the next event (rebuild + UpdateFunctionCode + invoke). */
async function redeploy(clients: AwsClients): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await redeployFunction(clients, stack);
    const response = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: stack.functionName,
        Payload: Buffer.from(JSON.stringify({ Records: [] })),
      }),
    );
    if (response.FunctionError) throw new Error("redeploy: new code failed to serve");
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

/** Engine cold start (in-process) to a healthy /_localstack/health. */
async function engineColdStart(): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const started = performance.now();
    const engine = await startEngine({ port: 0 });
    const response = await fetch(`${engine.endpoint}/_localstack/health`);
    if (!response.ok) throw new Error("engine not healthy");
    samples.push(performance.now() - started);
    await engine.stop();
  }
  return summarize(samples);
}

/**
 * S3 through the edge vs the data plane with the edge bypassed: the same SDK client, once against the engine's
 * edge (SigV4 scope routing, internal routes, request ids) and once against a bare HTTP server that hands each
 * request straight to the S3 service. The ratio is what the edge costs.
 */
async function s3EdgeVsDirect(): Promise<{
  putEdge: number;
  putDirect: number;
  getEdgeMBps: number;
  getDirectMBps: number;
}> {
  const engine = await startEngine({ port: 0 });
  const s3 = engine.edge.service("s3");
  if (!s3) throw new Error("no s3 service");
  const bare = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawUrl = request.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const result = await s3.handle({
      method: request.method ?? "GET",
      rawPath: queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt),
      query: new URL(rawUrl, "http://bare").searchParams,
      headers: request.headers,
      host: request.headers.host ?? "",
      body: Buffer.concat(chunks),
      caller: engine.context.credentials.administrator("test"),
      region: "us-east-1",
      requestId: "bench",
    });
    response.writeHead(result.status, result.headers as Record<string, string>);
    if (result.body instanceof Readable) result.body.pipe(response);
    else response.end(request.method === "HEAD" ? undefined : result.body);
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareEndpoint = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const viaEdge = { clients: clientsFor(engine.endpoint) };
  const viaBare = { clients: clientsFor(bareEndpoint) };
  try {
    await viaEdge.clients.s3.send(new CreateBucketCommand({ Bucket: "bench-s3" }));
    const body = Buffer.alloc(50 * 1024, 7);
    const count = quick ? 300 : 1000;
    const timeIt = async (work: (i: number) => Promise<unknown>) => {
      const limit = pLimit(concurrency);
      const started = performance.now();
      await Promise.all(Array.from({ length: count }, (_, i) => limit(() => work(i))));
      return count / ((performance.now() - started) / 1000);
    };
    const put = (c: AwsClients, prefix: string) => (i: number) =>
      c.s3.send(new PutObjectCommand({ Bucket: "bench-s3", Key: `${prefix}/${i}`, Body: body }));
    const get = (c: AwsClients, prefix: string) => async (i: number) => {
      const response = await c.s3.send(new GetObjectCommand({ Bucket: "bench-s3", Key: `${prefix}/${i}` }));
      await response.Body?.transformToByteArray();
    };
    // Warm both paths (connections, JIT) for each operation before measuring it, then alternate so neither gets
    // the quieter machine. The GETs were once measured unwarmed, edge first: the edge's run then paid the S3 read
    // path's JIT warm-up that the direct run after it found done (0.77 in one full run against 0.87 before).
    await timeIt(put(viaEdge.clients, "warm-edge"));
    await timeIt(put(viaBare.clients, "warm-bare"));
    const putEdge = await timeIt(put(viaEdge.clients, "edge"));
    const putDirect = await timeIt(put(viaBare.clients, "direct"));
    await timeIt(get(viaEdge.clients, "warm-edge"));
    await timeIt(get(viaBare.clients, "warm-bare"));
    const gets = { edge: [] as number[], direct: [] as number[] };
    for (let round = 0; round < 2; round++) {
      gets.edge.push(await timeIt(get(viaEdge.clients, "edge")));
      gets.direct.push(await timeIt(get(viaBare.clients, "direct")));
    }
    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    const mb = body.length / 1024 / 1024;
    return { putEdge, putDirect, getEdgeMBps: mean(gets.edge) * mb, getDirectMBps: mean(gets.direct) * mb };
  } finally {
    viaEdge.clients.destroy();
    viaBare.clients.destroy();
    await new Promise((resolve) => bare.close(resolve));
    await engine.stop();
  }
}

/** The S3 edge / bare figures as results.json keeps them. */
function s3EdgeFigures(s3: Awaited<ReturnType<typeof s3EdgeVsDirect>>) {
  return {
    s3PutObjectsPerSecEdge: round(s3.putEdge),
    s3PutObjectsPerSecDirect: round(s3.putDirect),
    s3PutRatio: round(s3.putEdge / s3.putDirect, 2),
    s3GetMBpsEdge: round(s3.getEdgeMBps),
    s3GetMBpsDirect: round(s3.getDirectMBps),
    s3GetRatio: round(s3.getEdgeMBps / s3.getDirectMBps, 2),
  };
}

/** Table rows of the S3 edge / bare figures (a full run's, or `--only s3-edge`'s). */
function s3EdgeRows(f: ReturnType<typeof s3EdgeFigures>): Array<[string, string, string, boolean]> {
  return [
    [
      "S3 PutObject 50 KB @16 edge / direct",
      `${f.s3PutObjectsPerSecEdge} / ${f.s3PutObjectsPerSecDirect} objects/s = ${f.s3PutRatio}`,
      "≥ 0.8",
      f.s3PutRatio >= 0.8,
    ],
    [
      "S3 GetObject edge / direct",
      `${f.s3GetMBpsEdge} / ${f.s3GetMBpsDirect} MB/s = ${f.s3GetRatio}`,
      "≥ 0.8",
      f.s3GetRatio >= 0.8,
    ],
  ];
}

/** One fresh engine: the first invoke (cold) and the warm invoke round trips of a no-op `runtime` function. */
async function lambdaInvokesOnce(runtime: string): Promise<{ cold: number; warm: number[] }> {
  const engine = await startEngine({ port: 0 });
  const clients = clientsFor(engine.endpoint);
  try {
    const role = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: "noop",
        AssumeRolePolicyDocument: JSON.stringify(defineStack().trustPolicy),
      }),
    );
    const zip = zipSync({
      "index.mjs": Buffer.from("export const handler = async (e) => ({ ok: true });"),
    });
    await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: "noop",
        Runtime: runtime as "nodejs22.x",
        Handler: "index.handler",
        Role: role.Role?.Arn,
        Code: { ZipFile: zip },
      }),
    );
    await waitUntilFunctionActiveV2(
      { client: clients.lambda, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.5 },
      { FunctionName: "noop" },
    );
    const invoke = async () => {
      const started = performance.now();
      await clients.lambda.send(new InvokeCommand({ FunctionName: "noop", Payload: Buffer.from("{}") }));
      return performance.now() - started;
    };
    const cold = await invoke();
    const warm: number[] = [];
    for (let i = 0; i < (quick ? 50 : 200); i++) warm.push(await invoke());
    return { cold, warm };
  } finally {
    clients.destroy();
    await engine.stop();
  }
}

/**
 * Cold and warm invokes per runtime: `rounds` fresh engines each, the runtimes alternating round by round (the
 * order turns each round), so the machine's drift falls on all of them alike; the cold figure is the median.
 */
async function lambdaInvokesByRuntime(
  runtimes: readonly string[],
  rounds: (runtime: string) => number,
): Promise<Map<string, { coldMs: Summary; warmMs: Summary }>> {
  const samples = new Map(
    runtimes.map((runtime) => [runtime, { cold: [] as number[], warm: [] as number[] }]),
  );
  const most = Math.max(...runtimes.map(rounds));
  for (let r = 0; r < most; r++) {
    const order = runtimes.map((_, i) => runtimes[(i + r) % runtimes.length] as string);
    for (const runtime of order) {
      if (r >= rounds(runtime)) continue;
      const once = await lambdaInvokesOnce(runtime);
      const into = samples.get(runtime);
      into?.cold.push(once.cold);
      into?.warm.push(...once.warm);
    }
  }
  return new Map(
    [...samples].map(([runtime, { cold, warm }]) => [
      runtime,
      { coldMs: summarize(cold), warmMs: summarize(warm) },
    ]),
  );
}

/**
 * Cold and warm invoke per runtime, side by side; cold on Node 22+ is held to "no slower than on Node 20" (the
 * nodejs20.x figure of the same run).
 */
function lambdaRows(
  byRuntime: Array<{
    runtime: string;
    node: string;
    emulated: boolean;
    coldInvokeMs: number;
    warmInvokeMs: number;
  }>,
): Array<[string, string, string, boolean]> {
  const node20 = byRuntime.find((r) => r.runtime === "nodejs20.x" && !r.emulated);
  return byRuntime.map((r) => {
    const label = `Lambda ${r.runtime} on ${r.emulated ? `${r.node} (emulated)` : r.node}: cold / warm`;
    const value = `${r.coldInvokeMs} / ${r.warmInvokeMs} ms`;
    if (!node20 || r === node20 || r.emulated) return [label, value, "—", true];
    return [label, value, `cold ≤ ${node20.coldInvokeMs} ms`, r.coldInvokeMs <= node20.coldInvokeMs];
  });
}

/**
 * The issue's figures for the engine import before it stood alone (1.4 s, 125 MB), used when the base commit
 * cannot be checked out (a shallow clone).
 */
const issueBaseline = { importMs: 1400, importRssMb: 125 };

/** The engine-import figures as results.json keeps them. */
function engineImportFigures(result: EngineImportResult) {
  const baseMs = result.base?.importMs.median ?? issueBaseline.importMs;
  const baseRss = result.base?.importRssMb.median ?? issueBaseline.importRssMb;
  return {
    engineImportMs: round(result.importMs.median),
    engineImportRssMb: round(result.importRssMb.median),
    /** RSS the import adds to a fresh Node + tsx process (engineImportRssMb minus that process's RSS). */
    engineImportOwnRssMb: round(result.importRssMb.median - result.emptyRssMb.median),
    engineImportBaseMs: round(baseMs),
    engineImportBaseRssMb: round(baseRss),
    engineImportBaseOwnRssMb: round(baseRss - result.emptyRssMb.median),
    engineImportBase: result.base ? result.base.ref : "issue 15's figures",
    bareUpReadyMs: round(result.bareUpReadyMs.median),
    bareUpReadyBaseMs: result.base ? round(result.base.bareUpReadyMs.median) : null,
    /** The engine import as the CLI's source path loads it on Node 24 (Node's type stripping; the base: tsx). */
    engineImportFromSourceNode24Ms: result.fromSourceNode24
      ? round(result.fromSourceNode24.importMs.median)
      : null,
    engineImportFromSourceNode24BaseMs: result.fromSourceNode24
      ? round(result.fromSourceNode24.baseImportMs.median)
      : null,
    /** Modules the engine's entry loads (static graph) and their source KiB, this tree and the base's. */
    engineModules: result.graph.tree.modules,
    engineSourceKiB: round(result.graph.tree.bytes / 1024),
    engineModulesBase: result.graph.base?.modules ?? null,
    engineSourceKiBBase: result.graph.base ? round(result.graph.base.bytes / 1024) : null,
    /** Each tree's engine bundled into one module, imported under tsx and with no loader (ms). */
    engineBundledTsxMs: round(result.graph.bundledTsxMs.median),
    engineBundledTsxBaseMs: result.graph.baseBundledTsxMs
      ? round(result.graph.baseBundledTsxMs.median)
      : null,
    engineBundledPlainMs: round(result.graph.bundledPlainMs.median),
    engineBundledPlainBaseMs: result.graph.baseBundledPlainMs
      ? round(result.graph.baseBundledPlainMs.median)
      : null,
  };
}

/**
 * Table rows of the engine-import figures. Against a07ea13 (or issue 15's figures, without git history) the targets
 * are issue 15's: at least 40% faster and lighter. Against any other base, 920a793 by default, the one target is
 * issue 23's: an import no slower (its RSS is shown without a target).
 */
function engineImportRows(result: EngineImportResult): Array<[string, string, string, boolean]> {
  const f = engineImportFigures(result);
  const ratio = (a: number, b: number) => round(a / b, 2);
  const limit = result.base === undefined || result.base.ref === "a07ea13" ? 0.6 : 1;
  const target = limit === 1 ? "≤ 1 (no slower)" : `≤ ${limit}`;
  const rssTarget = limit === 1 ? "—" : target;
  const fromSource: Array<[string, string, string, boolean]> = [];
  if (f.engineImportFromSourceNode24Ms !== null && f.engineImportFromSourceNode24BaseMs !== null)
    fromSource.push([
      `engine import from source, Node 24 (Node strips the types; ${f.engineImportBase}: tsx)`,
      `${f.engineImportFromSourceNode24Ms} / ${f.engineImportFromSourceNode24BaseMs} ms = ${ratio(f.engineImportFromSourceNode24Ms, f.engineImportFromSourceNode24BaseMs)}`,
      target,
      f.engineImportFromSourceNode24Ms <= limit * f.engineImportFromSourceNode24BaseMs,
    ]);
  return [
    [
      `engine import under tsx (Node ${process.versions.node.split(".")[0]}) vs ${f.engineImportBase}`,
      `${f.engineImportMs} / ${f.engineImportBaseMs} ms = ${ratio(f.engineImportMs, f.engineImportBaseMs)}`,
      target,
      f.engineImportMs <= limit * f.engineImportBaseMs,
    ],
    [
      "engine import RSS (whole process)",
      `${f.engineImportRssMb} / ${f.engineImportBaseRssMb} MB = ${ratio(f.engineImportRssMb, f.engineImportBaseRssMb)}`,
      rssTarget,
      f.engineImportRssMb <= limit * f.engineImportBaseRssMb,
    ],
    [
      `engine import RSS above Node+tsx (${round(result.emptyRssMb.median)} MB)`,
      `${f.engineImportOwnRssMb} / ${f.engineImportBaseOwnRssMb} MB = ${ratio(f.engineImportOwnRssMb, f.engineImportBaseOwnRssMb)}`,
      rssTarget,
      f.engineImportOwnRssMb <= limit * f.engineImportBaseOwnRssMb,
    ],
    [
      "pipeline up --bare → ready",
      f.bareUpReadyBaseMs === null
        ? `${f.bareUpReadyMs} ms`
        : `${f.bareUpReadyMs} / ${f.bareUpReadyBaseMs} ms = ${ratio(f.bareUpReadyMs, f.bareUpReadyBaseMs)}`,
      "—",
      true,
    ],
    ...graphRows(f),
    ...fromSource,
  ];
}

/**
 * The import under tsx taken apart: each tree's static graph, and its engine bundled into one module, imported under
 * tsx (the same code with one module to resolve) and with no loader (as the CLI's bundle loads: the code without tsx).
 */
function graphRows(f: ReturnType<typeof engineImportFigures>): Array<[string, string, string, boolean]> {
  const ratio = (a: number, b: number) => round(a / b, 2);
  const size = `${f.engineModules} modules, ${f.engineSourceKiB} KiB`;
  if (
    f.engineModulesBase === null ||
    f.engineSourceKiBBase === null ||
    f.engineBundledTsxBaseMs === null ||
    f.engineBundledPlainBaseMs === null
  )
    return [
      ["engine import graph", size, "—", true],
      [
        "  one bundled module: under tsx / no loader",
        `${f.engineBundledTsxMs} / ${f.engineBundledPlainMs} ms`,
        "—",
        true,
      ],
    ];
  return [
    [
      "engine import graph: this tree / the base",
      `${size} / ${f.engineModulesBase} modules, ${f.engineSourceKiBBase} KiB`,
      "—",
      true,
    ],
    [
      "  each tree bundled into one module, under tsx",
      `${f.engineBundledTsxMs} / ${f.engineBundledTsxBaseMs} ms = ${ratio(f.engineBundledTsxMs, f.engineBundledTsxBaseMs)}`,
      "—",
      true,
    ],
    [
      `  the same bundles with no loader (Node ${process.versions.node.split(".")[0]}, compile cache on)`,
      `${f.engineBundledPlainMs} / ${f.engineBundledPlainBaseMs} ms = ${ratio(f.engineBundledPlainMs, f.engineBundledPlainBaseMs)}`,
      "—",
      true,
    ],
  ];
}

/** Prints rows as the bench's table: name, value, target, met or MISSED. */
function printRows(title: string, rows: Array<[string, string, string, boolean]>): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n${title}`);
  for (const [name, value, target, ok] of rows) {
    console.log(
      `  ${name.padEnd(width)}  ${value.padEnd(valueWidth)}  target ${target.padEnd(16)} ${target === "—" ? "" : ok ? "met" : "MISSED"}`,
    );
  }
}

type SideBySide = Awaited<ReturnType<typeof measureSideBySide>>;

/**
 * The figures measured beside the base commit's tree in the same run: the CLI's start, `up` → ready and the first
 * record, and the end-to-end runs with their floor. `withRedeploy` also times a redeploy on the first run's engine.
 */
async function measureSideBySide(trees: Tree[], base: Tree | undefined, withRedeploy: boolean) {
  const coldByTree = await coldStarts(trees, runs);
  const cold = coldByTree.current as ColdStart;
  log("bench: cold start done");
  const startup = await cliStartup(trees, quick ? 5 : 10);
  const verbs = await cliVerbs(trees, quick ? 3 : 5);
  log("bench: CLI start and verbs done");
  let redeploySummary: Summary | undefined;
  const e2eByTree = await endToEndRuns(trees, runs, load, {
    upArgs,
    warmUpUploads,
    log,
    ...(withRedeploy
      ? {
          afterFirstRun: async (clients: AwsClients) => {
            redeploySummary = await redeploy(clients);
          },
        }
      : {}),
  });
  const current = e2eByTree.current as EndToEndFigures;
  const sustainedByTree = quick
    ? undefined
    : await sustainedRuns(trees, load, { upArgs, warmUpObjects: sustainedWarmUp, log });
  const versionMs = startup.versionMs.current?.median ?? Number.NaN;
  const figures = {
    upReadyMs: round(cold.ready.median),
    firstRecordMs: round(cold.firstRecord.median),
    cliVersionMs: round(versionMs),
    nodeBareMs: round(startup.nodeBareMs.median),
    cliVersionRatio: round(versionMs / startup.nodeBareMs.median, 2),
    ...e2eFigures(current),
    ...(sustainedByTree?.current
      ? { sustained: { warmUpUploads: sustainedWarmUp, ...sustainedByTree.current } }
      : {}),
    base: base
      ? {
          ref: base.label,
          upReadyMs: round(coldByTree[base.label]?.ready.median ?? Number.NaN),
          firstRecordMs: round(coldByTree[base.label]?.firstRecord.median ?? Number.NaN),
          cliVersionMs: round(startup.versionMs[base.label]?.median ?? Number.NaN),
          ...e2eFigures(e2eByTree[base.label] as EndToEndFigures),
          ...(sustainedByTree?.[base.label] ? { sustained: sustainedByTree[base.label] } : {}),
        }
      : undefined,
  };
  const verbFigures = Object.fromEntries(
    Object.entries(verbs).map(([verb, byTree]) => {
      const baseVerb = base ? byTree[base.label] : undefined;
      return [
        verb,
        {
          ms: round(byTree.current?.median ?? Number.NaN),
          ratio: round((byTree.current?.median ?? Number.NaN) / startup.nodeBareMs.median, 2),
          // A base that predates the verb (920a793 has no `status`) has no figure (null), and the row says so.
          ...(base ? { baseMs: baseVerb ? round(baseVerb.median) : null } : {}),
        },
      ];
    }),
  );
  return { coldByTree, cold, startup, current, redeploySummary, figures: { ...figures, verbs: verbFigures } };
}

/**
 * The base's figure of the same run, in parentheses after this tree's: nothing without a base or a figure, and
 * "no such verb" for null (a verb the base predates).
 */
function beside(ref: string | undefined, figure: number | null | undefined, unit = ""): string {
  if (ref === undefined || figure === undefined) return "";
  return figure === null ? ` (${ref}: no such verb)` : ` (${ref}: ${figure}${unit})`;
}

/** Table rows of the side-by-side figures, each with the base's figure of the same run in parentheses. */
function sideBySideRows(side: SideBySide): Array<[string, string, string, boolean]> {
  const f = side.figures;
  const sideBySide = f.base;
  const { cold } = side;
  const e2e = side.current.throughput;
  const floorSummary = side.current.floor;
  const was = (figure: number | null | undefined, unit = "") => beside(sideBySide?.ref, figure, unit);
  return [
    [
      "pipeline --version / node -e 0",
      `${f.cliVersionMs} / ${f.nodeBareMs} ms = ${f.cliVersionRatio}${was(sideBySide?.cliVersionMs, " ms")}`,
      "≤ 4",
      f.cliVersionRatio <= 4,
    ],
    ...Object.entries(f.verbs).map(([verb, v]): [string, string, string, boolean] => [
      `pipeline ${verb} (against up) / node -e 0`,
      `${v.ms} / ${f.nodeBareMs} ms = ${v.ratio}${was(v.baseMs, " ms")}`,
      "—",
      true,
    ]),
    [
      "pipeline up → ready",
      `${f.upReadyMs} ms (${round(cold.ready.min)}–${round(cold.ready.max)})${was(sideBySide?.upReadyMs, " ms")}`,
      "≤ 1000 ms",
      f.upReadyMs <= 1000,
    ],
    [
      "up → first record",
      `${f.firstRecordMs} ms (${round(cold.firstRecord.min)}–${round(cold.firstRecord.max)})${was(sideBySide?.firstRecordMs, " ms")}`,
      "—",
      true,
    ],
    [
      "upload → record p50",
      `${f.e2eP50Ms} ms${was(sideBySide?.e2eP50Ms, " ms")}`,
      "≤ 50 ms",
      f.e2eP50Ms <= 50,
    ],
    ["upload → record p95", `${f.e2eP95Ms} ms${was(sideBySide?.e2eP95Ms, " ms")}`, "—", true],
    [
      "upload → record p99",
      `${f.e2eP99Ms} ms${was(sideBySide?.e2eP99Ms, " ms")}`,
      "≤ 250 ms",
      f.e2eP99Ms <= 250,
    ],
    [
      `p50 / p99 after warm-up (${warmUpUploads} uploads)`,
      `${f.e2eP50WarmMs} / ${f.e2eP99WarmMs} ms${sideBySide ? ` (${sideBySide.ref}: ${sideBySide.e2eP50WarmMs} / ${sideBySide.e2eP99WarmMs} ms)` : ""}`,
      "—",
      true,
    ],
    [
      "end-to-end throughput",
      `${f.e2eObjectsPerSec} objects/s (${round(e2e.min)}–${round(e2e.max)})${was(sideBySide?.e2eObjectsPerSec)}`,
      "≥ 200 objects/s",
      f.e2eObjectsPerSec >= 200,
    ],
    [
      "raw SDK floor",
      `${f.floorObjectsPerSec} objects/s (${round(floorSummary.min)}–${round(floorSummary.max)})${was(sideBySide?.floorObjectsPerSec)}`,
      "—",
      true,
    ],
    [
      "ratio end-to-end / floor",
      `${f.ratioToFloor}${was(sideBySide?.ratioToFloor)}`,
      "≥ 0.5",
      f.ratioToFloor >= 0.5,
    ],
    ...sustainedRows(f.sustained, sideBySide?.sustained, sideBySide?.ref),
  ];
}

/**
 * The sustained figures (after `warmUpUploads` uploads), under the same targets, labelled apart from the cold
 * figures above them: a full run shows both.
 */
function sustainedRows(
  sustained: (SustainedFigures & { warmUpUploads: number }) | undefined,
  base: SustainedFigures | undefined,
  baseRef: string | undefined,
): Array<[string, string, string, boolean]> {
  if (!sustained) return [];
  const was = (figure: number | undefined, unit = "") => beside(baseRef, figure, unit);
  const after = `sustained, after ${sustained.warmUpUploads} uploads:`;
  return [
    [
      `${after} throughput`,
      `${sustained.e2eObjectsPerSec} objects/s${was(base?.e2eObjectsPerSec)}`,
      "≥ 200 objects/s",
      sustained.e2eObjectsPerSec >= 200,
    ],
    [
      `${after} floor, ratio`,
      `${sustained.floorObjectsPerSec} objects/s, ${sustained.ratioToFloor}${was(base?.ratioToFloor)}`,
      "≥ 0.5",
      sustained.ratioToFloor >= 0.5,
    ],
    [
      `${after} p50`,
      `${sustained.e2eP50Ms} ms${was(base?.e2eP50Ms, " ms")}`,
      "≤ 50 ms",
      sustained.e2eP50Ms <= 50,
    ],
    [
      `${after} p99`,
      `${sustained.e2eP99Ms} ms${was(base?.e2eP99Ms, " ms")}`,
      "≤ 250 ms",
      sustained.e2eP99Ms <= 250,
    ],
  ];
}

/** `--only side-by-side`: those figures alone, merged into the results file (results.loaded.json when loaded). */
async function sideBySideOnly(): Promise<void> {
  const machine = recordMachineLoad();
  const base = BENCH_BASE_REF === "none" ? undefined : checkoutTree(BENCH_BASE_REF);
  const trees: Tree[] = [{ label: "current", root: repoRoot }, ...(base ? [base] : [])];
  let side: SideBySide;
  try {
    side = await measureSideBySide(trees, base, false);
  } finally {
    base?.remove();
  }
  const machineLoad = machine.stop();
  const written = machineLoad.loaded && !files.explicit ? loadedResultsPath : resultsPath;
  const previous = existsSync(written)
    ? (JSON.parse(readFileSync(written, "utf8")) as Record<string, unknown>)
    : {};
  const detail = (previous.detail as Record<string, unknown> | undefined) ?? {};
  writeFileSync(
    written,
    `${JSON.stringify(
      {
        ...previous,
        loaded: machineLoad.loaded,
        machineLoad,
        ...side.figures,
        detail: { ...detail, cliStartup: side.startup, coldStartByTree: side.coldByTree },
        measuredAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  );
  printRows(
    `bench: side by side with ${side.figures.base?.ref ?? "no base"} (${quick ? "quick" : "full"})`,
    sideBySideRows(side),
  );
  console.log(`\n${describeLoad(machineLoad)}\nupdated ${written}`);
}

/** Merges `figures` into the results file (its other figures are kept) and returns what it wrote. */
function mergeIntoResults(figures: Record<string, unknown>): Record<string, unknown> {
  const previous = existsSync(resultsPath)
    ? (JSON.parse(readFileSync(resultsPath, "utf8")) as Record<string, unknown>)
    : {};
  const detail = (previous.detail as Record<string, unknown> | undefined) ?? {};
  const figuresDetail = (figures.detail as Record<string, unknown> | undefined) ?? {};
  const updated = { ...previous, ...figures, detail: { ...detail, ...figuresDetail } };
  writeFileSync(resultsPath, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
}

/** `--only engine-import`: measures those figures and the per-request overhead, and updates them in results.json. */
async function engineImportOnly(): Promise<void> {
  log(
    `bench: engine import and up --bare only, ${runs + 2} runs each (${importsPerRun} imports per tree per run)`,
  );
  const result = await measureEngineImport(runs + 2, importsPerRun);
  mergeIntoResults({ ...engineImportFigures(result), detail: { engineImport: result } });
  log("bench: per-request overhead, this tree and the base side by side");
  const overhead = await measureRequestOverhead(runs, overheadRequests, overheadWarmup);
  mergeIntoResults({ requestOverhead: overhead });
  printRows(
    `bench: engine import and per-request overhead (${cpus().length} cores, Node ${process.version})`,
    [...engineImportRows(result), ...requestOverheadRows(overhead)],
  );
  console.log(`\nupdated ${resultsPath}`);
}

/** `--only request-overhead`: measures the per-request overhead alone and updates it in results.json. */
async function requestOverheadOnly(): Promise<void> {
  const overhead = await measureRequestOverhead(runs, overheadRequests, overheadWarmup);
  mergeIntoResults({ requestOverhead: overhead });
  printRows(
    `bench: per-request overhead (${cpus().length} cores, Node ${process.version})`,
    requestOverheadRows(overhead),
  );
  console.log(`\nupdated ${resultsPath}`);
}

async function main(): Promise<void> {
  log(
    `bench: ${quick ? "quick" : "full"} run, ${e2eObjects} end-to-end objects, concurrency ${concurrency}, ${runs} runs each`,
  );
  const machine = recordMachineLoad();
  // The base commit's tree beside this one (BENCH_BASE=<ref>; none without git history).
  const base = BENCH_BASE_REF === "none" ? undefined : checkoutTree(BENCH_BASE_REF);
  if (!base) log(`bench: cannot check out ${BENCH_BASE_REF}; figures without the base beside them`);
  const trees: Tree[] = [{ label: "current", root: repoRoot }, ...(base ? [base] : [])];
  try {
    await measureAll(trees, base, machine);
  } finally {
    base?.remove();
  }
}

async function measureAll(
  trees: Tree[],
  base: Tree | undefined,
  machine: ReturnType<typeof recordMachineLoad>,
): Promise<void> {
  // Each runtime on the Node this machine resolves it to (bench on a machine with `pipeline runtimes install`ed
  // Node 22 and 24, or the figures of an emulated runtime are the engine's Node's and are labelled so).
  const runtimes = new RuntimeResolver().list();
  const artifacts = await compareArtifacts(
    quick ? 3 : 5,
    quick ? 2 : 5,
    runtimes
      .filter((r) => !r.emulated && r.major >= 22)
      .map((r) => ({ path: r.node.path, version: r.node.version })),
  );
  log("bench: artifact comparison done");
  const engineImport = await measureEngineImport(runs + 2, importsPerRun);
  log("bench: engine import done");
  const requestOverhead = await measureRequestOverhead(runs, overheadRequests, overheadWarmup);
  log("bench: per-request overhead done");
  const engineStart = await engineColdStart();
  const s3 = await s3EdgeVsDirect();
  log("bench: engine and S3 edge done");
  // A cold invoke's spread between fresh engines is about a third (ninth session), so the full run takes the median
  // of 7 per runtime, alternating; --quick (CI) keeps one engine per extra runtime: the figures, not their spread.
  const invokes = await lambdaInvokesByRuntime(
    runtimes.map((r) => r.runtime),
    (runtime) => (quick ? (runtime === stack.runtime ? runs : 1) : LAMBDA_COLD_ROUNDS),
  );
  const lambdaByRuntime = runtimes.map(({ runtime, node, emulated }) => {
    const figures = invokes.get(runtime);
    if (!figures) throw new Error(`no invokes of ${runtime}`);
    return { runtime, node: node.version, emulated, ...figures };
  });
  const lambda = lambdaByRuntime.find((r) => r.runtime === stack.runtime) ?? lambdaByRuntime[0];
  if (!lambda) throw new Error("no runtime to invoke");
  log("bench: lambda invokes done");
  const side = await measureSideBySide(trees, base, true);
  const { cold, startup, current, redeploySummary } = side;
  const e2e = current.throughput;
  const floorSummary = current.floor;
  const machineLoad = machine.stop();
  const results = {
    loaded: machineLoad.loaded,
    machineLoad,
    ...side.figures,
    bundleZipBytes: artifacts.bundleZipBytes,
    nodeModulesZipBytes: artifacts.nodeModulesZipBytes,
    bundleInitMs: round(artifacts.bundleInit.median),
    nodeModulesInitMs: round(artifacts.nodeModulesInit.median),
    redeployMs: round(redeploySummary?.median ?? Number.NaN),
    engineRssMb: round(current.peakEngineRssMb),
    engineColdStartMs: round(engineStart.median),
    ...s3EdgeFigures(s3),
    lambdaColdInvokeMs: round(lambda.coldMs.median),
    lambdaWarmInvokeMs: round(lambda.warmMs.median, 2),
    lambdaByRuntime: lambdaByRuntime.map((r) => ({
      runtime: r.runtime,
      node: r.node,
      emulated: r.emulated,
      coldInvokeMs: round(r.coldMs.median),
      warmInvokeMs: round(r.warmMs.median, 2),
    })),
    compileCache: artifacts.compileCache.map((c) => ({
      node: c.node,
      bundleInitMs: round(c.bundleInit.median),
      bundleInitCachedMs: round(c.bundleInitCached.median),
      nodeModulesInitMs: round(c.nodeModulesInit.median),
      nodeModulesInitCachedMs: round(c.nodeModulesInitCached.median),
    })),
    engineTreeRssMb: round(current.peakTreeRssMb),
    ...engineImportFigures(engineImport),
    requestOverhead,
    detail: {
      engineImport,
      upReady: cold.ready,
      firstRecord: cold.firstRecord,
      e2eObjectsPerSec: e2e,
      floorObjectsPerSec: floorSummary,
      bundleInit: artifacts.bundleInit,
      nodeModulesInit: artifacts.nodeModulesInit,
      redeploy: redeploySummary,
      engineColdStart: engineStart,
      lambdaCold: lambda.coldMs,
      lambdaWarm: lambda.warmMs,
      lambdaByRuntime,
      compileCache: artifacts.compileCache,
      e2eLatencySamples: current.latencies.length,
      cliStartup: startup,
      coldStartByTree: side.coldByTree,
      packagesInNodeModulesZip: artifacts.packagesInNodeModulesZip,
    },
    machine: { cores: cpus().length, node: process.version, cpu: cpus()[0]?.model ?? "unknown" },
    runs,
    quick,
    objects: e2eObjects,
    concurrency,
    e2eObserver: observe,
    measuredAt: new Date().toISOString(),
  };
  // A loaded machine's figures go beside the idle ones, never over them.
  const written = machineLoad.loaded && !files.explicit ? loadedResultsPath : resultsPath;
  writeFileSync(written, `${JSON.stringify(results, null, 2)}\n`);

  const rows: Array<[string, string, string, boolean]> = [
    ...sideBySideRows(side),
    [
      "bundle zip / node_modules zip",
      `${results.bundleZipBytes} / ${results.nodeModulesZipBytes} B = ${round(results.bundleZipBytes / results.nodeModulesZipBytes, 3)}`,
      "≤ 0.1",
      results.bundleZipBytes / results.nodeModulesZipBytes <= 0.1,
    ],
    [
      "bundle init / node_modules init",
      `${results.bundleInitMs} / ${results.nodeModulesInitMs} ms = ${round(results.bundleInitMs / results.nodeModulesInitMs, 2)}`,
      "≤ 0.33",
      results.bundleInitMs / results.nodeModulesInitMs <= 1 / 3,
    ],
    ["redeploy (change → serving)", `${results.redeployMs} ms`, "≤ 1000 ms", results.redeployMs <= 1000],
    [
      "engine peak RSS (highest of the runs)",
      `${results.engineRssMb} MB (with function envs ${results.engineTreeRssMb} MB)`,
      "≤ 400 MB",
      results.engineRssMb <= 400,
    ],
    [
      "engine cold start → healthy",
      `${results.engineColdStartMs} ms`,
      "≤ 1000 ms",
      results.engineColdStartMs <= 1000,
    ],
    ...s3EdgeRows(results),
    ["Lambda first invoke (cold)", `${results.lambdaColdInvokeMs} ms`, "—", true],
    ["Lambda warm invoke round trip", `${results.lambdaWarmInvokeMs} ms`, "—", true],
    ...lambdaRows(results.lambdaByRuntime),
    ...results.compileCache.flatMap(
      (c): Array<[string, string, string, boolean]> => [
        [
          `bundle init on ${c.node}: no cache / compile cache`,
          `${c.bundleInitMs} / ${c.bundleInitCachedMs} ms`,
          "—",
          true,
        ],
        [
          `bundle / node_modules init on ${c.node}, compile cache`,
          `${c.bundleInitCachedMs} / ${c.nodeModulesInitCachedMs} ms = ${round(c.bundleInitCachedMs / c.nodeModulesInitCachedMs, 2)}`,
          "≤ 0.33",
          c.bundleInitCachedMs / c.nodeModulesInitCachedMs <= 1 / 3,
        ],
        [
          `bundle / node_modules init on ${c.node}, no cache`,
          `${c.bundleInitMs} / ${c.nodeModulesInitMs} ms = ${round(c.bundleInitMs / c.nodeModulesInitMs, 2)}`,
          "≤ 0.33",
          c.bundleInitMs / c.nodeModulesInitMs <= 1 / 3,
        ],
      ],
    ),
    ...engineImportRows(engineImport),
    ...requestOverheadRows(requestOverhead),
  ];
  printRows(
    `bench (${results.machine.cores} cores, Node ${results.machine.node}, ${runs} runs, ${e2eObjects} objects @${concurrency}; in parentheses: the same figure for ${side.figures.base?.ref ?? "no base"} in this run)`,
    rows,
  );
  console.log(`\n${describeLoad(machineLoad)}`);
  console.log(
    `wrote ${written}${written === resultsPath ? "" : ` (a loaded machine: the idle figures in ${basename(resultsPath)} stay)`}`,
  );
  await persistSection(written, runs);
}

if (only === "engine-import") await engineImportOnly();
else if (only === "side-by-side") await sideBySideOnly();
else if (only === "request-overhead") await requestOverheadOnly();
else if (only === "persist") await persistSection(resultsPath, runs);
else if (only === "s3-edge") {
  // The edge against S3's handler served bare, printed only (results.json keeps the full run's figures).
  printRows(
    `bench: S3 through the edge / bare (${cpus().length} cores, Node ${process.version})`,
    s3EdgeRows(s3EdgeFigures(await s3EdgeVsDirect())),
  );
} else if (only) {
  log(
    `bench: unknown --only ${only} (known: engine-import, side-by-side, request-overhead, persist, s3-edge)`,
  );
  process.exit(2);
} else await main();
process.exit(0);
