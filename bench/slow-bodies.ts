import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { resolve } from "node:path";

/**
 * Issue 21's memory figure: 20 slow bodies just under 64 MiB (Lambda CreateFunction, whose limit is 70 MB), each
 * sent but for its last byte, held open. Prints the engine process's RSS before, at its peak while they are held,
 * and after they are dropped, and how each request was answered.
 *
 * Usage: tsx bench/slow-bodies.ts [path/to/src/engine/index.ts]
 */
const engineModule = resolve(process.argv[2] ?? "src/engine/index.ts");
const count = 20;
const bodyBytes = 63 * 1024 * 1024;

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const wait = (ms: number) => new Promise((done) => setTimeout(done, ms));

const script = `const { startEngine } = await import(process.argv[1]);
const engine = await startEngine({ port: 0 });
console.log("PORT " + engine.port);`;
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--input-type=module", "-e", script, engineModule],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const port = await new Promise<number>((done) => {
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    const match = /PORT (\d+)/.exec(output);
    if (match) done(Number(match[1]));
  });
});
const pid = child.pid as number;
await wait(1_000);
const before = rssOf(pid);
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, rssOf(pid));
}, 100);

const answers: string[] = [];
const chunk = Buffer.alloc(1024 * 1024, "a");
const held = Array.from({ length: count }, () => {
  const req = request({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/2015-03-31/functions",
    headers: {
      "content-type": "application/json",
      "content-length": String(bodyBytes),
      authorization:
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0",
    },
  });
  req.on("response", (response) => {
    answers.push(String(response.statusCode));
    response.resume();
  });
  req.on("error", () => undefined);
  return req;
});
// Send every body but its last byte (the last chunk one byte short), as a slow client would.
const sendAll = async (req: (typeof held)[number]) => {
  for (let sent = 0; sent < bodyBytes - 1; sent += chunk.length) {
    const piece = sent + chunk.length > bodyBytes - 1 ? chunk.subarray(0, bodyBytes - 1 - sent) : chunk;
    if (!req.write(piece)) await new Promise((done) => req.once("drain", done));
    if (req.destroyed) return;
  }
};
const started = Date.now();
await Promise.race([Promise.all(held.map(sendAll)), wait(60_000)]);
await wait(2_000);
const held_ = rssOf(pid);
for (const req of held) req.destroy();
await wait(5_000);
const after = rssOf(pid);
clearInterval(sampler);
child.kill("SIGKILL");
const statuses = answers.reduce<Record<string, number>>((all, status) => {
  all[status] = (all[status] ?? 0) + 1;
  return all;
}, {});
console.log(
  JSON.stringify({
    engine: engineModule,
    bodies: count,
    bodyBytes,
    seconds: (Date.now() - started) / 1000,
    rss: { before: mb(before), peak: mb(peak), whileHeld: mb(held_), after: mb(after) },
    answers: statuses,
  }),
);
