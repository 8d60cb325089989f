import { type ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, type EngineOptions, startEngine } from "../../src/engine/index.ts";
import type { DynamoDbBackend } from "../../src/engine/options.ts";

/**
 * End-to-end suites run against the embedded engine, which they start on a free port, or against an external
 * LocalStack-compatible endpoint named by PIPELINE_E2E_ENDPOINT (the GitHub `localstack` job), which they then
 * use as it is and never start an engine.
 */
export const externalEndpoint = process.env.PIPELINE_E2E_ENDPOINT?.replace(/\/$/, "") || undefined;

export interface EngineHandle {
  endpoint: string;
  /** The embedded engine, when the suite started one (undefined against an external endpoint). */
  engine: Engine | undefined;
  clients: AwsClients;
}

/** Starts an engine for the suite (beforeAll) and stops it (afterAll). */
export function useEngine(options: EngineOptions = {}): EngineHandle {
  const handle = {} as EngineHandle;
  beforeAll(async () => {
    if (externalEndpoint) {
      handle.endpoint = externalEndpoint;
      handle.engine = undefined;
    } else {
      handle.engine = await startEngine({ port: 0, ...options });
      handle.endpoint = handle.engine.endpoint;
    }
    handle.clients = createAwsClients({
      endpoint: handle.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
  });
  afterAll(async () => {
    handle.clients?.destroy();
    await handle.engine?.stop();
  });
  return handle;
}

const hasJava = (() => {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * The DynamoDB backends suites run on: dynalite always; Amazon DynamoDB Local too where Java is present
 * (.ci/run installs it). Against an external endpoint the backend is whatever that endpoint runs.
 */
export const dynamoDbBackends: DynamoDbBackend[] =
  hasJava && !externalEndpoint ? ["dynalite", "dynamodb-local"] : ["dynalite"];

/**
 * Where tests save screenshots: test-artifacts/ always (CI uploads it); docs/screenshots/ too when
 * UPDATE_SCREENSHOTS=1, so a plain `npm test` leaves the committed pictures alone.
 */
export function screenshotDirectories(repoRoot: string): string[] {
  const dirs = [`${repoRoot}/test-artifacts/screenshots`];
  if (process.env.UPDATE_SCREENSHOTS === "1") dirs.push(`${repoRoot}/docs/screenshots`);
  return dirs;
}

/** The provisioner's steps in order, as the stack spec requires them (an expectation, written out on purpose). */
export const PROVISION_STEPS = [
  "table",
  "bucket",
  "block-public-access",
  "default-encryption",
  "on-failure-queue",
  "role",
  "role-policy",
  "function",
  "event-invoke-config",
  "invoke-permission",
  "notification",
  "log-group",
];

/** An engine in a process of its own (so a test can SIGKILL it), and what it wrote to stderr. */
export interface EngineProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  endpoint: string;
  stderr(): string;
  /**
   * The engine process's JavaScript heap in use, in bytes, after a full garbage collection (it runs with
   * `--expose-gc`; SIGUSR2 asks it). What a leak grows, where the resident set also keeps the pages the allocator
   * holds on to.
   */
  heapUsedAfterGc(): Promise<number>;
  /**
   * The files the engine left open for the garbage collector to close: Node's DEP0137 warnings on its stderr
   * ("Closing file descriptor N on garbage collection"), which End-of-Life turns into an exception that ends the
   * process on Node 25 and later (nodejs/node#58536). A collection ({@link heapUsedAfterGc}) brings them out.
   */
  filesClosedByGc(): string[];
  /**
   * SIGKILLs the process and settles once it has exited. A restart on the same data dir must wait for this: kill()
   * returns before the process is gone, and until then it still holds the store's locks (LevelDB's LOCK).
   */
  kill(): Promise<void>;
}

/**
 * The files `engine` left open for the garbage collector, after a full collection brought them out (Node warns of
 * each on stderr a moment after it closes it): a suite whose engine runs in a child process expects none at its end.
 * None to find in an engine that has exited (the suite's own checks say why it did).
 */
export async function filesLeftToGc(engine: EngineProcess | undefined): Promise<string[]> {
  if (!engine || engine.child.exitCode !== null || engine.child.signalCode !== null) return [];
  await engine.heapUsedAfterGc();
  await new Promise((resolve) => setTimeout(resolve, 250));
  return engine.filesClosedByGc();
}

/**
 * Starts `startEngine({ port: 0, ...options })` in a child Node process (through tsx) and resolves with its
 * endpoint. `options` must be JSON; the engine's diagnostics (`log`) go to the child's stderr.
 */
export async function startEngineProcess(
  options: Omit<EngineOptions, "log">,
  /** Extra environment of the engine process (over this one's). */
  env: Record<string, string> = {},
): Promise<EngineProcess> {
  const script = [
    "const { startEngine } = await import(process.argv[1]);",
    "const options = JSON.parse(process.argv[2]);",
    'const engine = await startEngine({ ...options, port: 0, log: (message) => process.stderr.write(message + "\\n") });',
    'console.log("PORT " + engine.port);',
    'process.on("SIGUSR2", () => { globalThis.gc(); console.log("HEAP " + process.memoryUsage().heapUsed); });',
  ].join("\n");
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      script,
      fileURLToPath(new URL("../../src/engine/index.ts", import.meta.url)),
      JSON.stringify(options),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  // The child's stdout, a line at a time: its port once started, then its heap each time SIGUSR2 asks.
  const heapAnswers: Array<(bytes: number) => void> = [];
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [, kind, value] = /^(PORT|HEAP) (\d+)$/.exec(line) ?? [];
      if (kind === "PORT") resolvePort(Number(value));
      else if (kind === "HEAP") heapAnswers.shift()?.(Number(value));
    });
    child.once("exit", (code) => reject(new Error(`engine process exited early with ${code}: ${stderr}`)));
  });
  return {
    child,
    endpoint: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    filesClosedByGc: () =>
      stderr.split("\n").filter((line) => /Closing file descriptor \d+ on garbage collection/.test(line)),
    heapUsedAfterGc: () =>
      new Promise<number>((resolveHeap, reject) => {
        if (child.exitCode !== null) return reject(new Error(`engine process has exited: ${stderr}`));
        heapAnswers.push(resolveHeap);
        child.kill("SIGUSR2");
      }),
    kill: () => {
      child.kill("SIGKILL");
      return exited;
    },
  };
}
