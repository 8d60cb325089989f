import { fork, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../src/artifact/paths.ts";
import { BENCH_BASE_REF, checkoutTree, type Tree } from "./base-tree.ts";
import { startUpProcess, stopChild, treeCpuMs } from "./engine-process.ts";
import { type Summary, summarize } from "./stats.ts";

/**
 * The engine's per-request overhead: edge → handler → answer for a small S3 GetObject and a DynamoDB GetItem, sent
 * as raw HTTP over one keep-alive connection per server (no SDK on the client side), after a warm-up. Two figures per
 * request: the server process's own CPU time per request (user + system from `/proc`, the client in a process of its
 * own, so it counts edge → handler → answer and nothing of the client's), and the client's round trip (it adds the
 * client's HTTP and the kernel's wake-ups, the same for every tree).
 *
 * **Side by side, interleaved.** The trees compared run at once, each in its own process, and one client sends blocks
 * of {@link BLOCK} requests to each in turn, so every tree is measured over the same seconds. This VM's speed swings
 * by a third within minutes: measured one after the other, this tree's S3 GET ratio to 920a793 read 0.82 at 08:03
 * and 1.0 at 09:35 (2026-12-07), though the code of 09:35 measured 3.6% cheaper than that of 08:03 interleaved. A block keeps a server's caches warm, as a stream of requests does (a
 * request at a time, alternating, read 34-43% more CPU per GetItem than blocks). Two groups, each in fresh
 * processes per run: the engine's sources under tsx (the code alone, as tests load it), this tree's and the base's
 * (BENCH_OVERHEAD_BASE=<git ref>, default {@link BENCH_BASE_REF}); then each tree's `pipeline up --bare` (what users
 * run: this tree's built CLI, the base's CLI as it ran then) beside a bare `node:http` server ({@link floorServer}).
 */

/** Requests sent to one server before the client moves on to the next (about 0.1 s). */
const BLOCK = Number(process.env.BENCH_OVERHEAD_BLOCK ?? 500);

/** One request kind's figures: the engine's CPU per request and the client's round trip, both in ms. */
export interface OverheadFigures {
  engineCpuMs: Summary;
  roundTripMs: Summary;
}

/** The engine's CPU per request in the process `pipeline up --bare` runs, in ms (from /proc, the whole process). */
export interface UpOverheadFigures {
  s3GetCpuMs: Summary;
  dynamoGetItemCpuMs: Summary;
}

export interface RequestOverheadResult {
  /** Requests measured per server and kind, in blocks of `block`. */
  requests?: number;
  block?: number;
  s3Get: OverheadFigures;
  dynamoGetItem: OverheadFigures;
  base?: { ref: string; s3Get: OverheadFigures; dynamoGetItem: OverheadFigures };
  /**
   * The same requests to each tree's `pipeline up --bare`, the process users run: this tree's built CLI (issue 25)
   * and the base's CLI as it ran then (under tsx, for 920a793).
   */
  asUp?: {
    requests: number;
    current: UpOverheadFigures;
    base?: UpOverheadFigures;
    /** A bare `node:http` server answering the same requests ({@link floorServer}): what no engine goes below. */
    floor?: UpOverheadFigures;
  };
}

/**
 * The client: a plain Node process (no tsx) that the bench forks with the servers' endpoints. It sets each server
 * up, then per request kind warms each up, and sends the measured requests in blocks, server after server (the
 * first server of each round of blocks rotating), telling the bench when the measured requests start and end.
 */
const client = `
const { request, Agent } = require("node:http");
const endpoints = process.argv[1].split(",");
const n = Number(process.argv[2]);
const warmup = Number(process.argv[3]);
const block = Number(process.argv[4]);
const agents = endpoints.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
const auth = (service) =>
  "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00";
const send = (server, method, path, headers, body) =>
  new Promise((resolve, reject) => {
    const req = request(endpoints[server] + path, { method, headers, agent: agents[server] }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode < 300 ? resolve() : reject(new Error(path + " " + res.statusCode))));
    });
    req.on("error", reject);
    req.end(body);
  });
const dynamo = (server, op, body) =>
  send(server, "POST", "/", { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810." + op,
    "x-amz-date": "20260101T000000Z", authorization: auth("dynamodb") }, JSON.stringify(body));
const ask = (message) => new Promise((resolve) => { process.once("message", resolve); process.send(message); });
const kinds = {
  s3: (server) => send(server, "GET", "/bench-bucket/small.txt", { authorization: auth("s3") }),
  getItem: (server) => dynamo(server, "GetItem", { TableName: "bench", Key: { id: { S: "k" } } }),
};
(async () => {
  for (let server = 0; server < endpoints.length; server++) {
    await send(server, "PUT", "/bench-bucket", { authorization: auth("s3") });
    await send(server, "PUT", "/bench-bucket/small.txt", { authorization: auth("s3"), "content-type": "text/plain" }, "x".repeat(1024));
    await dynamo(server, "CreateTable", { TableName: "bench", BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], KeySchema: [{ AttributeName: "id", KeyType: "HASH" }] });
    for (let i = 0; i < 100; i++) {
      try { await dynamo(server, "PutItem", { TableName: "bench", Item: { id: { S: "k" }, v: { S: "value" } } }); break; }
      catch { await new Promise((r) => setTimeout(r, 50)); }
    }
  }
  const samples = {};
  for (const [kind, call] of Object.entries(kinds)) {
    // Warmed until the JIT has settled: over the first few thousand requests its background compiles (counted in
    // the process's CPU time) were up to 60% of an S3 GET's measured CPU.
    for (let server = 0; server < endpoints.length; server++) for (let i = 0; i < warmup; i++) await call(server);
    samples[kind] = endpoints.map(() => []);
    await ask({ start: kind });
    for (let round = 0; round * block < n; round++) {
      for (let k = 0; k < endpoints.length; k++) {
        const server = (round + k) % endpoints.length;
        for (let i = 0; i < Math.min(block, n - round * block); i++) {
          const started = performance.now();
          await call(server);
          samples[kind][server].push(performance.now() - started);
        }
      }
    }
    await ask({ end: kind });
  }
  agents.forEach((agent) => agent.destroy());
  process.send({ done: samples });
})().catch((error) => { console.error(error.message); process.exit(1); });
`;

/** An engine's sources under tsx (`startEngine`), serving until SIGTERM; its endpoint is its first stdout line. */
const sourceEngine = `
const { startEngine } = await import(process.argv[1]);
const engine = await startEngine({ port: 0 });
process.stdout.write(engine.endpoint + "\\n");
process.once("SIGTERM", () => engine.stop().then(() => process.exit(0)));
`;

/**
 * The floor under every engine: a bare `node:http` server that reads each request, looks at its headers and answers
 * the client's requests with bodies of the same size and kind (1 KiB of text, the same item's JSON), doing nothing
 * else. What any Node server pays per exchange on this machine (the parser, the socket writes, the kernel's
 * loopback), which neither tree can go below.
 */
const floorServer = `
const { createServer } = require("node:http");
const object = Buffer.alloc(1024, "x");
const item = Buffer.from(JSON.stringify({ Item: { id: { S: "k" }, v: { S: "value" } } }));
const server = createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const body = req.method === "GET" ? object : target.endsWith(".GetItem") ? item : Buffer.from("{}");
    res.writeHead(200, {
      "content-type": req.method === "GET" ? "text/plain" : "application/x-amz-json-1.0",
      "content-length": body.length,
      "x-amzn-requestid": "floor",
    });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write("http://127.0.0.1:" + server.address().port + "\\n"));
`;

/** A server the client measures: its process (CPU read from /proc) and endpoint. */
interface Server {
  label: string;
  pid: number;
  endpoint: string;
  stop(): Promise<void>;
}

/** `node [flags] -e script args`, serving until SIGTERM, its endpoint the first line it prints. */
async function startScriptServer(
  label: string,
  flags: string[],
  script: string,
  args: string[],
): Promise<Server> {
  const child = spawn(process.execPath, [...flags, "-e", script, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`request overhead: ${label} exited with ${code}`)));
    createInterface({ input: child.stdout }).once("line", resolve);
  });
  if (child.pid === undefined) throw new Error(`request overhead: ${label} has no pid`);
  return {
    label,
    pid: child.pid,
    endpoint,
    stop: () => stopChild(child),
  };
}

const startSource = (tree: Tree) =>
  startScriptServer(tree.label, ["--import", "tsx", "--input-type=module"], sourceEngine, [
    join(tree.root, "src/engine/index.ts"),
  ]);

async function startUp(tree: Tree): Promise<Server> {
  const up = await startUpProcess(["--bare"], tree.root);
  if (up.child.pid === undefined) throw new Error(`request overhead: pipeline up (${tree.label}) has no pid`);
  return { label: tree.label, pid: up.child.pid, endpoint: up.endpoint, stop: () => up.stop() };
}

/** One kind's figures per server label: CPU per request (ms) and the client's round trips (ms). */
type Measured = Map<string, { cpu: Record<string, number>; roundTrips: Record<string, number[]> }>;

/**
 * The client against `servers` at once: per request kind, each server's process CPU (with anything it started)
 * per measured request, over the window in which all of them were served in turn.
 */
async function measureSideBySide(servers: Server[], requests: number, warmup: number): Promise<Measured> {
  const child = fork(
    "-e",
    [client, servers.map((s) => s.endpoint).join(","), String(requests), String(warmup), String(BLOCK)],
    {
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const measured: Measured = new Map(servers.map((server) => [server.label, { cpu: {}, roundTrips: {} }]));
  let begun: number[] = [];
  await new Promise<void>((resolve, reject) => {
    child.on("message", (message: { start?: string; end?: string; done?: Record<string, number[][]> }) => {
      if (message.start) {
        begun = servers.map((server) => treeCpuMs(server.pid));
        child.send("go");
      } else if (message.end) {
        const kind = message.end;
        servers.forEach((server, index) => {
          const figures = measured.get(server.label);
          if (figures) figures.cpu[kind] = (treeCpuMs(server.pid) - (begun[index] as number)) / requests;
        });
        child.send("go");
      } else if (message.done) {
        for (const [kind, perServer] of Object.entries(message.done)) {
          servers.forEach((server, index) => {
            const figures = measured.get(server.label);
            if (figures) figures.roundTrips[kind] = perServer[index] ?? [];
          });
        }
        resolve();
      }
    });
    child.on("exit", (code) =>
      code ? reject(new Error(`request overhead: the client exited with ${code}`)) : resolve(),
    );
  });
  return measured;
}

/** Starts each of `starts` (in turn, so no start competes with another), measures them side by side, stops them. */
async function runGroup(
  starts: Array<() => Promise<Server>>,
  requests: number,
  warmup: number,
): Promise<Measured> {
  const servers: Server[] = [];
  try {
    for (const start of starts) servers.push(await start());
    return await measureSideBySide(servers, requests, warmup);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

interface Collected {
  s3: number[];
  getItem: number[];
  s3Cpu: number[];
  getItemCpu: number[];
}

/**
 * This tree's and the base's per-request overhead, side by side in `runs` fresh groups of processes, `requests * 5`
 * measured per server and kind (for /proc's 10 ms ticks) after `warmup` of each (the full run's 3,000 let the JIT
 * settle; `--quick` only exercises the code).
 */
export async function measureRequestOverhead(
  runs: number,
  requests: number,
  warmup: number,
): Promise<RequestOverheadResult> {
  const ref = process.env.BENCH_OVERHEAD_BASE ?? BENCH_BASE_REF;
  const base = checkoutTree(ref);
  // This tree's sources are measured as committed, extracted like the base: run from the repository itself, the
  // same commit measured about 10% slower on S3 GETs than its extracted copy (the repository's tsconfig changes
  // tsx's output).
  const head = checkoutTree("HEAD");
  const measuredRequests = requests * 5;
  const sourceTrees: Tree[] = [{ label: "current", root: head?.root ?? repoRoot }, ...(base ? [base] : [])];
  const upTrees: Tree[] = [{ label: "current", root: repoRoot }, ...(base ? [base] : [])];
  const collected = (labels: string[]) =>
    new Map(labels.map((label) => [label, { s3: [], getItem: [], s3Cpu: [], getItemCpu: [] } as Collected]));
  const fromSource = collected(sourceTrees.map((tree) => tree.label));
  const viaUp = collected([...upTrees.map((tree) => tree.label), "floor"]);
  const keep = (into: Map<string, Collected>, measured: Measured) => {
    for (const [label, figures] of measured) {
      const target = into.get(label);
      if (!target) continue;
      target.s3.push(...(figures.roundTrips.s3 ?? []));
      target.getItem.push(...(figures.roundTrips.getItem ?? []));
      target.s3Cpu.push(figures.cpu.s3 ?? Number.NaN);
      target.getItemCpu.push(figures.cpu.getItem ?? Number.NaN);
    }
  };
  try {
    for (let i = 0; i < runs; i++) {
      // The order of the servers alternates run by run (which one's block comes first, which one starts first).
      const order = <T>(list: T[]) => (i % 2 === 0 ? list : [...list].reverse());
      keep(
        fromSource,
        await runGroup(
          order(sourceTrees).map((tree) => () => startSource(tree)),
          measuredRequests,
          warmup,
        ),
      );
      const floor = () => startScriptServer("floor", [], floorServer, []);
      keep(
        viaUp,
        await runGroup(
          [...order(upTrees).map((tree) => () => startUp(tree)), floor],
          measuredRequests,
          warmup,
        ),
      );
    }
  } finally {
    base?.remove();
    head?.remove();
  }
  const upFigures = (label: string): UpOverheadFigures | undefined => {
    const figures = viaUp.get(label);
    return figures
      ? { s3GetCpuMs: summarize(figures.s3Cpu), dynamoGetItemCpuMs: summarize(figures.getItemCpu) }
      : undefined;
  };
  const figures = (source: Collected | undefined) => ({
    s3Get: { engineCpuMs: summarize(source?.s3Cpu ?? []), roundTripMs: summarize(source?.s3 ?? []) },
    dynamoGetItem: {
      engineCpuMs: summarize(source?.getItemCpu ?? []),
      roundTripMs: summarize(source?.getItem ?? []),
    },
  });
  return {
    requests: measuredRequests,
    block: BLOCK,
    ...figures(fromSource.get("current")),
    ...(base ? { base: { ref, ...figures(fromSource.get(base.label)) } } : {}),
    asUp: {
      requests: measuredRequests,
      current: upFigures("current") as UpOverheadFigures,
      ...(base ? { base: upFigures(base.label) } : {}),
      floor: upFigures("floor") as UpOverheadFigures,
    },
  };
}

/**
 * Table rows: each request's engine CPU and round trip beside the base's. The target (20% less, issue 23) is on the
 * engine's CPU per request, which is edge → handler → answer; the round trip is shown beside it, without a target.
 */
export function requestOverheadRows(result: RequestOverheadResult): Array<[string, string, string, boolean]> {
  const ms = (summary: Summary) => Math.round(summary.median * 1000) / 1000;
  const row = (
    name: string,
    current: Summary,
    before: Summary | undefined,
    target: boolean,
  ): [string, string, string, boolean] => {
    if (before === undefined) return [name, `${ms(current)} ms (n=${current.runs})`, "—", true];
    const ratio = current.median / before.median;
    return [
      `${name} vs ${result.base?.ref}`,
      `${ms(current)} / ${ms(before)} ms = ${Math.round(ratio * 100) / 100} (n=${current.runs})`,
      target ? "≤ 0.8" : "—",
      !target || ratio <= 0.8,
    ];
  };
  const rows = (name: string, current: OverheadFigures, before: OverheadFigures | undefined) => [
    row(`engine CPU per request: ${name}`, current.engineCpuMs, before?.engineCpuMs, true),
    row(`client round trip: ${name}`, current.roundTripMs, before?.roundTripMs, false),
  ];
  const up = result.asUp;
  return [
    ...rows("S3 GetObject 1 KiB", result.s3Get, result.base?.s3Get),
    ...rows("DynamoDB GetItem", result.dynamoGetItem, result.base?.dynamoGetItem),
    ...(up
      ? [
          row(
            "`pipeline up` CPU per request: S3 GetObject 1 KiB",
            up.current.s3GetCpuMs,
            up.base?.s3GetCpuMs,
            true,
          ),
          row(
            "`pipeline up` CPU per request: DynamoDB GetItem",
            up.current.dynamoGetItemCpuMs,
            up.base?.dynamoGetItemCpuMs,
            true,
          ),
          ...(up.floor ? floorRows(up.current, up.base, up.floor, result.base?.ref) : []),
        ]
      : []),
  ];
}

/**
 * The floor's own figures, and each request's CPU above it for this tree and the base: the part an engine's code
 * decides (informational: the target is on the whole figure).
 */
function floorRows(
  current: UpOverheadFigures,
  base: UpOverheadFigures | undefined,
  floor: UpOverheadFigures,
  ref: string | undefined,
): Array<[string, string, string, boolean]> {
  const ms = (value: number) => Math.round(value * 1000) / 1000;
  const above = (name: string, pick: (figures: UpOverheadFigures) => Summary) => {
    const own = pick(current).median - pick(floor).median;
    const before = base ? pick(base).median - pick(floor).median : undefined;
    return [
      `\`pipeline up\` CPU above the floor: ${name}${before === undefined ? "" : ` vs ${ref}`}`,
      before === undefined
        ? `${ms(own)} ms`
        : `${ms(own)} / ${ms(before)} ms = ${Math.round((own / before) * 100) / 100}`,
      "—",
      true,
    ] as [string, string, string, boolean];
  };
  return [
    [
      "bare node:http answering the same requests (floor): S3 GET / GetItem",
      `${ms(floor.s3GetCpuMs.median)} / ${ms(floor.dynamoGetItemCpuMs.median)} ms (n=${floor.s3GetCpuMs.runs})`,
      "—",
      true,
    ],
    above("S3 GetObject 1 KiB", (figures) => figures.s3GetCpuMs),
    above("DynamoDB GetItem", (figures) => figures.dynamoGetItemCpuMs),
  ];
}
