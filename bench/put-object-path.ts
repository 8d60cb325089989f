import { request } from "node:http";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * The modules one S3 PutObject passes through, and how often it comes back to a module already visited (issue
 * 23): the engine runs in this process, warmed up by 20 PutObjects; a worker thread attaches the inspector to
 * this thread (`Session.connectToMainThread`), breaks where the edge takes the request (`new URL(request.url` in
 * edge.ts), then steps into every statement until the response has arrived (pausing on the next statement when
 * the request waits on I/O). Each pause's top frame names a module; only `src/` modules count; consecutive
 * pauses in one module are one visit; a revisit is a visit to a module already visited, a re-entry a revisit
 * that is a call (the stack grew) rather than a return.
 *
 * The request, its headers and body are fixed: repeated runs of one tree gave the same modules, visits and
 * revisits (the step count varied by a few). Run: `npx tsx bench/put-object-path.ts [tree root] [--sequence]`.
 * 703d476 (S3's hand router): 33 modules, 178 visits, 145 revisits, 57 re-entries; the address resolved twice
 * (the edge's body limit, then `resolve`), the action decided twice (`resolveOperation`, then the dispatcher).
 * With S3's declared routes: 33 modules, 156 visits, 123 revisits, 46 re-entries (1,023 steps; before 1,035): the
 * address resolved once (the dispatcher's call finds the edge's), the action a constant read once, no
 * authenticate call unless verifying, the checksum headers read once (before: when the body starts, and again
 * when it ends).
 */

const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { Session } = require("node:inspector");
const { request } = require("node:http");
const session = new Session();
session.connectToMainThread();
// Inspector callbacks do not keep a worker alive.
const alive = setInterval(() => {}, 1000);
const post = (method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
const scripts = new Map();
const urls = new Map();
session.on("Debugger.scriptParsed", ({ params }) => {
  scripts.set(params.url, params.scriptId);
  urls.set(params.scriptId, params.url);
});
const steps = [];
let done = false;
let idle;
session.on("Debugger.paused", ({ params }) => {
  clearTimeout(idle);
  const frame = params.callFrames[0];
  steps.push(urls.get(frame.location.scriptId) + "#" + (frame.functionName || "(anonymous)") + "@" + params.callFrames.length);
  if (process.env.PATH_DEBUG) require("node:fs").writeSync(2, steps.length + " " + steps.at(-1) + ":" + frame.location.lineNumber + "\\n");
  if (done) return void post("Debugger.resume");
  post("Debugger.stepInto").then(() => {
    // A step that ends the task resumes the thread; the next statement of the request's chain runs later
    // (after I/O): pause on it.
    idle = setTimeout(() => { if (!done) post("Debugger.pause"); }, 50);
  });
});
(async () => {
  const log = (m) => process.env.PATH_DEBUG && require("node:fs").writeSync(2, m + "\\n");
  await post("Debugger.enable");
  log("enabled " + scripts.size);
  await post("Debugger.setBlackboxPatterns", { patterns: ["^node:", "/node_modules/", "^internal/", "^evalmachine"] });
  const edgeUrl = [...scripts.keys()].find((url) => url.endsWith("/src/engine/edge.ts"));
  const { scriptSource } = await post("Debugger.getScriptSource", { scriptId: scripts.get(edgeUrl) });
  const lines = scriptSource.split("\\n");
  const line = lines.findIndex((text) => text.includes("new URL(request.url"));
  const column = lines[line].indexOf("new URL(request.url");
  const bp = await post("Debugger.setBreakpoint", { location: { scriptId: scripts.get(edgeUrl), lineNumber: line, columnNumber: column } });
  log("edge " + edgeUrl + " line " + line + " " + JSON.stringify(bp));
  const body = "x".repeat(1024);
  const status = await new Promise((resolve, reject) => {
    const req = request(workerData.endpoint + "/path-bucket/measured.txt?x-id=PutObject", {
      method: "PUT",
      headers: {
        authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        "x-amz-date": "20260101T000000Z",
        "content-type": "text/plain",
        "content-length": String(body.length),
      },
    }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); });
    req.on("error", reject);
    req.end(body);
  });
  done = true;
  clearTimeout(idle);
  await post("Debugger.disable");
  session.disconnect();
  clearInterval(alive);
  parentPort.postMessage({ status, steps });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

const send = (endpoint: string, method: string, path: string, body = "") =>
  new Promise<number>((resolve, reject) => {
    const req = request(
      `${endpoint}${path}`,
      {
        method,
        headers: {
          authorization:
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
          "content-type": "text/plain",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });

/** The tree measured: this one, or another checkout's root (its `src/engine/index.ts` is imported). */
const tree = pathToFileURL(
  `${process.argv.find((arg, index) => index > 1 && !arg.startsWith("--")) ?? new URL("..", import.meta.url).pathname}/`,
);
const { startEngine } = (await import(
  new URL("src/engine/index.ts", tree).href
)) as typeof import("../src/engine/index.ts");
const engine = await startEngine({ port: 0 });
try {
  await send(engine.endpoint, "PUT", "/path-bucket");
  for (let i = 0; i < 20; i++)
    await send(engine.endpoint, "PUT", `/path-bucket/warm-${i}.txt?x-id=PutObject`, "x");
  const worker = new Worker(workerSource, { eval: true, workerData: { endpoint: engine.endpoint } });
  const result = await new Promise<{ status?: number; steps?: string[]; error?: string }>((resolve) => {
    worker.once("message", resolve);
    worker.once("error", (error) => resolve({ error: String(error) }));
  });
  await worker.terminate();
  if (result.error || !result.steps) throw new Error(result.error ?? "no steps");
  const root = new URL("src/", tree).href;
  const steps = result.steps
    .filter((step) => step.startsWith(root))
    .map((step) => {
      const [where = "", depth = "0"] = step.slice(root.length).split("@");
      const [module = "", fn = ""] = where.split("#");
      return { module, fn, depth: Number(depth) };
    });
  // A visit: consecutive steps in one module. A re-entry: a visit that begins with a call (the stack grew) into a
  // module already visited; the other revisits are returns to a caller.
  const visits = steps.filter((step, index) => index === 0 || steps[index - 1]?.module !== step.module);
  const seen = new Set<string>();
  const reentered = new Map<string, number>();
  let revisits = 0;
  let previousDepth = 0;
  for (const [index, step] of steps.entries()) {
    const previous = steps[index - 1];
    if (previous === undefined || previous.module !== step.module) {
      if (seen.has(step.module)) {
        revisits++;
        if (step.depth > previousDepth) {
          const name = `${step.module}#${step.fn}`;
          reentered.set(name, (reentered.get(name) ?? 0) + 1);
        }
      }
      seen.add(step.module);
    }
    previousDepth = step.depth;
  }
  if (process.argv.includes("--sequence"))
    console.log(visits.map((step) => `${step.module}#${step.fn}@${step.depth}`).join("\n"));
  console.log(
    JSON.stringify(
      {
        status: result.status,
        steps: steps.length,
        modules: seen.size,
        visits: visits.length,
        revisits,
        reentries: [...reentered.values()].reduce((sum, count) => sum + count, 0),
        reentered: Object.fromEntries([...reentered].sort((a, b) => b[1] - a[1])),
      },
      null,
      2,
    ),
  );
} finally {
  await engine.stop();
}
