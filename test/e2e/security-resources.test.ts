import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, createInflateRaw, deflateRawSync, constants as zlibConstants } from "node:zlib";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineProcess, filesLeftToGc, startEngineProcess } from "../helpers/engine.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";

/**
 * Issue 13's resource limits, measured on an engine in a process of its own (its RSS is read from /proc): a large
 * streaming PUT, a PUT refused before its body, slow-header connections, a zip bomb, and functions that try to
 * outlive their timeout, read the engine's environment or print an endless line.
 */
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";
const MiB = 1024 * 1024;
/**
 * The streaming PUT's size: 256 MB in CI (about 5 s); issue 13's 1.5 GB with PIPELINE_BIG_PUT_MB=1536 (about 25 s
 * on the 2-core CI machine, same RSS figures).
 */
const bigPutBytes = Number(process.env.PIPELINE_BIG_PUT_MB ?? 256) * MiB;
const headersTimeoutMs = 2_000;
const bodyIdleTimeoutMs = 1_500;
const marker = `ENGINE_SECRET_MARKER_${process.pid}`;

/** A raw S3 PUT of object `pipelined-<n>` declaring `length` bytes and sending `body`. */
function pipelinedPut(host: string, n: number, length: number, body: string): string {
  return `PUT /big/pipelined-${n} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\n\r\n${body}`;
}

/** A raw DynamoDB request declaring `length` bytes and sending `body`: ListTables when whole, else a stalled one. */
function pipelinedDynamoDb(host: string, _n: number, length: number, body: string): string {
  const json = length === body.length ? "{}" : body;
  const declared = length === body.length ? 2 : length;
  return [
    "POST / HTTP/1.1",
    `Host: ${host}`,
    "Content-Type: application/x-amz-json-1.0",
    "X-Amz-Target: DynamoDB_20120810.ListTables",
    "X-Amz-Date: 20260101T000000Z",
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
    `Content-Length: ${declared}`,
    "",
    json,
  ].join("\r\n");
}

/** A raw request whose answer nobody reads: its size, and what the client sends 500 ms later, if anything. */
interface UnreadAnswer {
  request: string;
  size: number;
  later?: string;
}

/** A 32 MiB object, and a raw GET of it. */
async function unreadObject(host: string): Promise<UnreadAnswer> {
  const size = 32 * MiB;
  const key = "unread.bin";
  const put = await fetch(`${engine.endpoint}/big/${key}`, { method: "PUT", body: Buffer.alloc(size, 1) });
  expect(put.status).toBe(200);
  return { request: `GET /big/${key} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, size };
}

/**
 * The GET with a PUT pipelined after it, whose 3-byte body comes 500 ms later, while the object is written: the PUT's
 * body ending disarmed the connection's timeout, the answer's included.
 */
async function unreadObjectThenPut(host: string): Promise<UnreadAnswer> {
  const { request, size } = await unreadObject(host);
  return {
    request: `${request}PUT /big/after-unread.txt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\n\r\n`,
    size,
    later: "abc",
  };
}

/** A function answering 6,000,000 bytes (near Invoke's 6 MB limit), and a raw Invoke of it: an answer in memory. */
async function unreadInvoke(host: string): Promise<UnreadAnswer> {
  const size = 6_000_000;
  await createFunction("unread", `export const handler = async () => "x".repeat(${size - 2});`, 10);
  const request = [
    "POST /2015-03-31/functions/unread/invocations HTTP/1.1",
    `Host: ${host}`,
    "X-Amz-Date: 20260101T000000Z",
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
    "Content-Length: 2",
    "",
    "{}",
  ].join("\r\n");
  return { request, size };
}

let engine: EngineProcess;
let scratch: string;
let roleArn: string;
let lambda: LambdaClient;
let s3: S3Client;

const pid = () => engine.child.pid as number;
/** The engine process's resident set size, in MB. */
function engineRssMb(): number {
  const status = readFileSync(`/proc/${pid()}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pipeline-resources-"));
  // Memory mode, the default: a large upload must go to disk all the same.
  engine = await startEngineProcess(
    { timeouts: { headersMs: headersTimeoutMs, bodyIdleMs: bodyIdleTimeoutMs } },
    { [marker]: "engine-only" },
  );
  lambda = new LambdaClient({ endpoint: engine.endpoint, region, credentials });
  s3 = new S3Client({ endpoint: engine.endpoint, region, credentials, forcePathStyle: true });
  // Function logs are written only when the role may write them.
  roleArn = await createLambdaRole(engine.endpoint, "resources-role", {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }],
  });
  await s3.send(new CreateBucketCommand({ Bucket: "big" }));
}, 60_000);

afterAll(async () => {
  lambda?.destroy();
  s3?.destroy();
  // Aborted uploads and downloads must not leave a file open (a spill file, an object) for the GC to close.
  const leftToGc = await filesLeftToGc(engine);
  if (engine) {
    const exited = new Promise((resolve) => engine.child.once("exit", resolve));
    engine.child.kill("SIGTERM");
    await exited;
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
  expect(leftToGc).toEqual([]);
});

/** A raw PUT that streams `size` bytes (never holding them), resolving with the status and what was sent. */
function streamingPut(path: string, size: number) {
  return new Promise<{ status: number; body: string; md5: string }>((resolve, reject) => {
    const md5 = createHash("md5");
    const chunk = Buffer.alloc(MiB);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
    const request = httpRequest(`${engine.endpoint}${path}`, {
      method: "PUT",
      headers: { "content-length": String(size), "content-type": "application/octet-stream" },
    });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (text: string) => {
        body += text;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, md5: md5.digest("hex") }));
    });
    request.on("error", reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        md5.update(piece);
        if (!request.write(piece)) return void request.once("drain", pump);
      }
      request.end();
    };
    pump();
  });
}

async function createFunction(name: string, source: string, timeout: number): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: roleArn,
      Handler: "index.handler",
      Timeout: timeout,
      Code: { ZipFile: zipSync({ "index.mjs": strToU8(source) }) },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: name });
}

const payloadOf = (result: { Payload?: Uint8Array }) =>
  JSON.parse(Buffer.from(result.Payload ?? new Uint8Array()).toString("utf8"));

describe("Security: bounded work per request", () => {
  it(`streams a ${bigPutBytes / MiB} MB PUT to disk: engine RSS stays under 300 MB, then under 200 MB`, async () => {
    const baseline = engineRssMb();
    let peak = baseline;
    let samples = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, engineRssMb());
      samples++;
    }, 50);
    const started = performance.now();
    const result = await streamingPut("/big/large.bin", bigPutBytes).finally(() => clearInterval(sampler));
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, engineRssMb());
    console.log(
      `streaming PUT ${bigPutBytes / MiB} MB in ${seconds.toFixed(1)} s: engine RSS baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (${samples} samples)`,
    );
    expect(result.status, result.body).toBe(200);
    const head = await fetch(`${engine.endpoint}/big/large.bin`, { method: "HEAD" });
    expect(head.headers.get("etag")).toBe(`"${result.md5}"`);
    expect(Number(head.headers.get("content-length"))).toBe(bigPutBytes);
    expect(peak).toBeLessThan(300);
    const after = await eventually(
      "engine RSS back under 200 MB",
      () => {
        const rss = engineRssMb();
        return rss < 200 ? rss : undefined;
      },
      { timeoutMs: 15_000 },
    ).catch(() => engineRssMb());
    console.log(`engine RSS after: ${after.toFixed(0)} MB`);
    expect(after).toBeLessThan(200);
  }, 240_000);

  it("refuses a 500 MB PUT to a missing bucket before reading its body, in well under a second", async () => {
    const started = performance.now();
    const outcome = await new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
      const request = httpRequest(`${engine.endpoint}/no-such-bucket/huge.bin`, {
        method: "PUT",
        headers: { "content-length": String(500 * MiB) },
      });
      request.on("response", (response) => {
        const ms = performance.now() - started;
        let body = "";
        response.setEncoding("utf8").on("data", (text: string) => {
          body += text;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body, ms }));
      });
      // The connection is closed after the answer; the rest of the body is never sent.
      request.on("error", (error) => (request.destroyed ? undefined : reject(error)));
      request.write(Buffer.alloc(64 * 1024));
    });
    console.log(`500 MB PUT to a missing bucket answered in ${outcome.ms.toFixed(0)} ms`);
    expect(outcome.status).toBe(404);
    expect(outcome.body).toContain("<Code>NoSuchBucket</Code>");
    expect(outcome.ms).toBeLessThan(500);
  });

  it("closes a PUT whose body stalls past the body timeout, and keeps serving keep-alive clients", async () => {
    const started = performance.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const request = httpRequest(`${engine.endpoint}/big/stalled.bin`, {
        method: "PUT",
        headers: { "content-length": String(MiB) },
      });
      request.on("error", () => resolve(performance.now() - started));
      request.on("close", () => resolve(performance.now() - started));
      request.write(Buffer.alloc(1024));
    });
    console.log(`stalled PUT closed after ${closedAfter.toFixed(0)} ms`);
    expect(closedAfter).toBeGreaterThanOrEqual(bodyIdleTimeoutMs - 100);
    expect(closedAfter).toBeLessThan(bodyIdleTimeoutMs + 5_000);
    const head = await fetch(`${engine.endpoint}/big/stalled.bin`, { method: "HEAD" });
    expect(head.status).toBe(404);
    // Many bodies on one keep-alive connection: each request's timeout listener is gone with its body.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          `${engine.endpoint}/big/small-${i}.txt`,
          { method: "PUT", agent },
          (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
          },
        );
        request.on("error", reject);
        request.end("small");
      });
      expect(status).toBe(200);
    }
    agent.destroy();
    expect(engine.stderr()).not.toContain("MaxListenersExceededWarning");
  }, 20_000);

  it.each([
    { service: "S3 (streamed bodies)", request: pipelinedPut },
    { service: "DynamoDB (buffered bodies)", request: pipelinedDynamoDb },
  ])(
    "closes a body that stalls behind pipelined requests on its connection: $service",
    async ({ request }) => {
      // Three requests in one write: two whole, the third 1 KiB of its 64 KiB. The first two end (and close) while
      // the third's body is read; before, each end disarmed the connection's timeout, and the third held it forever.
      const { host, port } = new URL(engine.endpoint);
      const socket = connect(Number(port), "127.0.0.1");
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
      });
      const started = performance.now();
      socket.write(
        request(host, 1, 3, "one") +
          request(host, 2, 3, "two") +
          request(host, 3, 64 * 1024, "x".repeat(1024)),
      );
      const closedAfter = await new Promise<number>((resolve) => {
        socket.on("error", () => resolve(performance.now() - started));
        socket.on("close", () => resolve(performance.now() - started));
        // Not closed by then: never, as far as this test goes.
        setTimeout(() => resolve(Number.POSITIVE_INFINITY), bodyIdleTimeoutMs + 5_000);
      });
      socket.destroy();
      console.log(`stalled pipelined request closed after ${closedAfter.toFixed(0)} ms`);
      expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
      expect(closedAfter).toBeGreaterThanOrEqual(bodyIdleTimeoutMs - 100);
      expect(closedAfter).toBeLessThan(bodyIdleTimeoutMs + 5_000);
    },
    20_000,
  );

  it.each([
    { answer: "an S3 object (streamed)", setup: unreadObject },
    { answer: "a Lambda Invoke (in memory)", setup: unreadInvoke },
    { answer: "an S3 object, a PUT pipelined after it", setup: unreadObjectThenPut },
  ])(
    "closes an answer its client stops reading once no byte went out for the idle timeout: $answer",
    async ({ setup }) => {
      const { host, port } = new URL(engine.endpoint);
      const { request, size, later } = await setup(host);
      const socket = connect(Number(port), "127.0.0.1");
      socket.pause();
      socket.write(request);
      if (later !== undefined) setTimeout(() => socket.write(later), 500);
      // The client reads nothing past the idle timeout: the kernel's buffers fill and the engine's writes stop. Node
      // lets a timeout pass once when the socket's write queue changed since its last write (net.js `_onTimeout`),
      // so the close can take two periods after the last byte moved: hence three, and a second.
      await new Promise((resolve) => setTimeout(resolve, 3 * bodyIdleTimeoutMs + 1_000));
      let received = 0;
      const closed = await new Promise<boolean>((resolve) => {
        socket.on("data", (chunk: Buffer) => {
          received += chunk.length;
        });
        socket.on("close", () => resolve(true));
        socket.on("error", () => resolve(true));
        setTimeout(() => resolve(false), 5_000);
        socket.resume();
      });
      socket.destroy();
      console.log(`unread answer: ${received} of about ${size} bytes arrived, connection closed: ${closed}`);
      expect(closed).toBe(true);
      expect(received).toBeLessThan(size);
      // The engine serves on.
      expect((await fetch(`${engine.endpoint}/_localstack/health`)).status).toBe(200);
    },
    30_000,
  );

  it("refuses a PutLogEvents batch over 1,048,576 bytes with AWS's error", async () => {
    const logs = new CloudWatchLogsClient({ endpoint: engine.endpoint, region, credentials });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/big/batch" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: "/big/batch", logStreamName: "s" }));
    const logEvents = Array.from({ length: 5 }, (_, i) => ({
      timestamp: Date.now() + i,
      message: "x".repeat(250_000),
    }));
    const error = await logs
      .send(new PutLogEventsCommand({ logGroupName: "/big/batch", logStreamName: "s", logEvents }))
      .then(
        () => undefined,
        (caught: Error) => caught,
      );
    logs.destroy();
    expect(error?.name).toBe("InvalidParameterException");
    expect(error?.message).toBe("Upload too large: 1250130 bytes exceeds limit of 1048576");
  });

  it("refuses an oversized DynamoDB request by its Content-Length, without reading it", async () => {
    const response = await new Promise<{ status: number; body: string }>((resolve) => {
      const request = httpRequest(`${engine.endpoint}/`, {
        method: "POST",
        headers: {
          "content-length": String(300 * MiB),
          "x-amz-target": "DynamoDB_20120810.PutItem",
          "content-type": "application/x-amz-json-1.0",
        },
      });
      request.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (text: string) => {
          body += text;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      request.on("error", () => undefined);
      request.write("{");
    });
    expect(response.status).toBe(413);
    expect(response.body).toContain("Request must be smaller than 16777216 bytes");
  });

  it("lets go of an object's open files when 100 clients leave before their answer (a 16 MiB object on disk)", async () => {
    // The engine opens the object's file, then answers; a client gone in between left its response closed before
    // the answer began, so the edge waited on a "close" that had already come: the file stayed open (and the request
    // in memory) until garbage collection closed it with a warning. Memory mode: a body this large goes to disk.
    const put = await fetch(`${engine.endpoint}/big/abandoned.bin`, {
      method: "PUT",
      body: Buffer.alloc(16 * MiB, 1),
    });
    expect(put.status).toBe(200);
    const { host, port } = new URL(engine.endpoint);
    const openFiles = () => readdirSync(`/proc/${pid()}/fd`).length;
    const before = openFiles();
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(`GET /big/abandoned.bin HTTP/1.1\r\nHost: ${host}\r\n\r\n`, () => {
            socket.destroy();
            resolve();
          });
        });
        socket.on("error", () => resolve());
      });
    }
    const settled = await eventually(
      "the engine's open files back to their count before",
      () => (openFiles() <= before ? openFiles() : undefined),
      { timeoutMs: 5_000 },
    ).catch(() => openFiles());
    console.log(`open files: ${before} before 100 abandoned GETs, ${settled} after`);
    expect(settled).toBeLessThanOrEqual(before);
    expect(engine.stderr()).not.toMatch(/Closing file descriptor/);
    expect((await fetch(`${engine.endpoint}/big/abandoned.bin`, { method: "HEAD" })).status).toBe(200);
  });

  it("closes 200 connections that never send a byte at the header timeout", async () => {
    // Node's header timeout also closes a connection that sends no byte at all; this keeps it so (without it, each
    // such connection would be held for ever: the edge sets no other timeout before a request).
    const port = Number(new URL(engine.endpoint).port);
    const closedAt: number[] = [];
    const opened = performance.now();
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => resolve(socket));
            socket.on("error", () => undefined);
            socket.on("close", () => closedAt.push(performance.now() - opened));
            // Reading, so the server's close is seen.
            socket.resume();
          }),
      ),
    );
    try {
      await eventually("the server to close all 200", () => (closedAt.length === 200 ? true : undefined), {
        timeoutMs: headersTimeoutMs + 5_000,
      });
      console.log(`200 silent connections closed by ${Math.max(...closedAt).toFixed(0)} ms`);
      expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(headersTimeoutMs - 100);
      expect((await fetch(`${engine.endpoint}/_localstack/health`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  }, 30_000);

  it("closes 1,000 connections that trickle headers at the header timeout, serving another client meanwhile", async () => {
    const port = Number(new URL(engine.endpoint).port);
    const sockets: Socket[] = [];
    const closedAt: number[] = [];
    const opened = performance.now();
    await Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => {
              socket.write("GET /_localstack/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
              resolve();
            });
            socket.on("error", () => undefined);
            socket.on("close", () => closedAt.push(performance.now() - opened));
            sockets.push(socket);
          }),
      ),
    );
    // One more header line every second: never a complete head.
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write("X-Slow: 1\r\n");
    }, 1_000);
    try {
      const timings: number[] = [];
      for (let i = 0; i < 9; i++) {
        const started = performance.now();
        const response = await fetch(`${engine.endpoint}/_localstack/health`);
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        timings.push(performance.now() - started);
      }
      console.log(
        `health while 1,000 connections trickle: ${timings.map((t) => t.toFixed(1)).join(", ")} ms`,
      );
      expect(Math.min(...timings)).toBeLessThan(50);
      await eventually("the server to close all 1,000", () => (closedAt.length === 1000 ? true : undefined), {
        timeoutMs: headersTimeoutMs + 5_000,
      });
      console.log(
        `all 1,000 closed by ${Math.max(...closedAt).toFixed(0)} ms (header timeout ${headersTimeoutMs} ms)`,
      );
      expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(headersTimeoutMs - 100);
    } finally {
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
    }
  }, 30_000);
});

/**
 * A real zip bomb: one entry that inflates to `size` bytes of zeros from about 1 KB per MiB. The deflate stream is
 * one fully flushed 1 MiB block repeated (a full flush resets the dictionary, so copies stand alone) and a final
 * empty block.
 */
function zipBomb(size: number): Buffer {
  const zeros = Buffer.alloc(MiB);
  const block = deflateRawSync(zeros, { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const copies = size / MiB;
  const data = Buffer.concat([...Array.from({ length: copies }, () => block), Buffer.from([0x03, 0x00])]);
  let crc = 0;
  for (let i = 0; i < copies; i++) crc = crc32(zeros, crc);
  const name = Buffer.from("bomb.bin");
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** Inflates the bomb's deflate stream natively, counting bytes: proof that it really unpacks to its size. */
async function inflatedSize(zip: Buffer): Promise<number> {
  const data = zip.subarray(30 + 8, zip.length - 22 - 46 - 8);
  let total = 0;
  const inflate = createInflateRaw();
  inflate.on("data", (chunk: Buffer) => {
    total += chunk.length;
  });
  await new Promise<void>((resolve, reject) => {
    inflate.on("end", resolve);
    inflate.on("error", reject);
    inflate.end(data);
  });
  return total;
}

describe("Security: Lambda code and processes are bounded", () => {
  it("refuses a zip bomb (1 MB zip, 1 GiB file) with AWS's error, and DeleteFunction removes unpacked code", async () => {
    let mark = performance.now();
    // The builder is proven on 64 MiB (inflating the full GiB would take the suite 10 s more).
    expect(await inflatedSize(zipBomb(64 * MiB))).toBe(64 * MiB);
    const bomb = zipBomb(1024 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    console.log(
      `zip bomb of ${bomb.length} bytes built and checked in ${(performance.now() - mark).toFixed(0)} ms`,
    );
    mark = performance.now();
    const rssBefore = engineRssMb();
    const error = await lambda
      .send(
        new CreateFunctionCommand({
          FunctionName: "bomb",
          Runtime: "nodejs22.x",
          Role: roleArn,
          Handler: "index.handler",
          Code: { ZipFile: bomb },
        }),
      )
      .then(
        () => undefined,
        (caught: Error) => caught,
      );
    expect(error?.name).toBe("InvalidParameterValueException");
    expect(error?.message).toBe("Unzipped size must be smaller than 262144000 bytes");
    expect(engineRssMb() - rssBefore).toBeLessThan(50);
    console.log(`zip bomb refused in ${(performance.now() - mark).toFixed(0)} ms`);

    await createFunction(
      "short-lived",
      "export const handler = async () => process.env.LAMBDA_TASK_ROOT;",
      3,
    );
    const taskRoot = payloadOf(
      await lambda.send(new InvokeCommand({ FunctionName: "short-lived" })),
    ) as string;
    expect(existsSync(join(taskRoot, "index.mjs"))).toBe(true);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "short-lived" }));
    await eventually("the unpacked code to be removed", () => (existsSync(taskRoot) ? undefined : true));
  }, 60_000);

  it("kills a timed-out function with the 20 sleepers it forked: no process is left behind", async () => {
    const tag = `${process.pid}${Date.now() % 100000}`;
    await createFunction(
      "forker",
      `import { spawn } from "node:child_process";
       export const handler = async () => {
         for (let i = 0; i < 20; i++) spawn("sleep", ["${tag}.${"$"}{i}"], { stdio: "ignore" });
         await new Promise(() => undefined);
       };`,
      2,
    );
    const sleepers = () =>
      execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.startsWith(`sleep ${tag}.`));
    const result = await lambda.send(new InvokeCommand({ FunctionName: "forker" }));
    expect(result.FunctionError).toBe("Unhandled");
    expect(payloadOf(result).errorType).toBe("Sandbox.Timedout");
    const left = await eventually(
      "the sleepers to be gone",
      () => (sleepers().length === 0 ? [] : undefined),
      {
        timeoutMs: 3_000,
      },
    ).catch(() => sleepers());
    expect(left).toEqual([]);
  }, 30_000);

  it("a function cannot read a variable of the engine's environment, neither its own nor its parent's", async () => {
    await createFunction(
      "snoop",
      `import { readFileSync } from "node:fs";
       export const handler = async () => ({
         own: Object.keys(process.env).filter((name) => name.startsWith("ENGINE_SECRET_MARKER")),
         parent: readFileSync("/proc/" + process.ppid + "/environ", "utf8").split("\\0")
           .filter((entry) => entry.startsWith("ENGINE_SECRET_MARKER")),
       });`,
      5,
    );
    // The marker is really in the engine's environment: the test reads it there.
    expect(readFileSync(`/proc/${pid()}/environ`, "utf8")).toContain(marker);
    const result = await lambda.send(new InvokeCommand({ FunctionName: "snoop" }));
    expect(result.FunctionError).toBeUndefined();
    expect(payloadOf(result)).toEqual({ own: [], parent: [] });
  }, 30_000);

  it("cuts an endless output line at CloudWatch's 256 KB event limit", async () => {
    await createFunction(
      "chatty",
      `export const handler = async () => {
         const piece = "x".repeat(1024 * 1024);
         for (let i = 0; i < 8; i++) process.stdout.write(piece);
         process.stdout.write("\\nafter\\n");
         return "done";
       };`,
      10,
    );
    const rssBefore = engineRssMb();
    const result = await lambda.send(new InvokeCommand({ FunctionName: "chatty" }));
    expect(result.FunctionError).toBeUndefined();
    const logs = new CloudWatchLogsClient({ endpoint: engine.endpoint, region, credentials });
    const group = "/aws/lambda/chatty";
    const messages = await eventually("the REPORT line", async () => {
      const streams = await logs
        .send(new DescribeLogStreamsCommand({ logGroupName: group }))
        .catch(() => ({ logStreams: [] }));
      const stream = streams.logStreams?.[0]?.logStreamName;
      if (!stream) return undefined;
      const events = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream }));
      const texts = (events.events ?? []).map((event) => event.message ?? "");
      return texts.some((text) => text.startsWith("REPORT")) ? texts : undefined;
    });
    logs.destroy();
    const longest = Math.max(...messages.map((text) => Buffer.byteLength(text)));
    expect(longest).toBe(256 * 1024);
    expect(messages).toContain("after");
    expect(engineRssMb() - rssBefore).toBeLessThan(100);
  }, 30_000);
});
