import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";

/** The file `npx pipeline` runs: the real CLI (its bundle, rebuilt first when a source changed; cli/build.mjs). */
export const CLI_BIN = join(repoRoot, "cli/bin/pipeline.js");

/** What a finished CLI run left behind. */
export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliRunOptions {
  /** Extra environment (merged over the test's; `undefined` values remove a variable). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * Kill the child (SIGKILL) after this long: a safety net, the run then fails loudly. Default 45 s for
   * `runCli`, 5 min for `startCli` (a background engine must outlive the commands run against it).
   */
  timeoutMs?: number;
}

/** Thrown when a CLI child outlives its deadline; carries what it printed so far. */
class CliTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliTimeoutError";
  }
}

const running = new Set<ChildProcess>();
/** Every run that finished during the current test, for the checks `useCliCleanup` makes after it. */
const finished: Array<{ args: string[]; stderr: string }> = [];

/**
 * The child's environment: the test's own, minus anything that would redirect the CLI (its endpoint comes
 * from `--endpoint`), with colors off so output is plain text.
 */
function childEnvironment(extra: CliRunOptions["env"] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.PIPELINE_ENDPOINT;
  delete env.AWS_ENDPOINT_URL;
  delete env.PIPELINE_FUNCTION_ENTRY;
  delete env.FORCE_COLOR;
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A CLI child that keeps running (`up`, `watch`, `logs --follow`): read its output while it runs, then stop it. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  private readonly started = performance.now();
  private readonly exited: Promise<CliResult>;

  readonly args: string[];

  constructor(args: string[], options: CliRunOptions = {}) {
    this.args = args;
    this.child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: childEnvironment(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this.child);
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), options.timeoutMs ?? 45_000);
    this.exited = new Promise((resolve, reject) => {
      this.child.once("error", reject);
      this.child.once("close", (code, signal) => {
        clearTimeout(timer);
        running.delete(this.child);
        finished.push({ args, stderr: this.stderr });
        resolve({
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          durationMs: performance.now() - this.started,
        });
      });
    });
  }

  /** Complete lines of stdout parsed as JSON; lines that are not JSON are left out. */
  jsonLines(): Array<Record<string, unknown>> {
    return parseJsonLines(this.stdout);
  }

  /**
   * Polls the child's JSON stdout until a line matches, or fails after `timeoutMs` (or when the child exits),
   * with everything it printed in the message.
   */
  async waitForJson(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.jsonLines().find(predicate);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new CliTimeoutError(
          `CLI exited (${this.child.exitCode}) before the expected line\n${this.dump()}`,
        );
      if (Date.now() > deadline)
        throw new CliTimeoutError(`no matching line in ${timeoutMs} ms\n${this.dump()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Polls stderr until it contains `text`. */
  async waitForStderr(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stderr.includes(text)) {
      if (this.child.exitCode !== null)
        throw new CliTimeoutError(`CLI exited before '${text}'\n${this.dump()}`);
      if (Date.now() > deadline) throw new CliTimeoutError(`no '${text}' in ${timeoutMs} ms\n${this.dump()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends a signal (SIGINT by default, as Ctrl-C does) and waits for the exit, bounded by `timeoutMs`. */
  async stop(signal: NodeJS.Signals = "SIGINT", timeoutMs = 15_000): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new CliTimeoutError(`CLI did not exit within ${timeoutMs} ms of ${signal}\n${this.dump()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the child exits by itself. */
  exit(): Promise<CliResult> {
    return this.exited;
  }

  private dump(): string {
    return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }
}

/** Starts the CLI in the background; stop it with `stop()`, or `useCliCleanup` kills it after the test. */
export function startCli(args: string[], options: CliRunOptions = {}): CliProcess {
  return new CliProcess(args, { timeoutMs: 300_000, ...options });
}

/** Runs the CLI to completion (bounded by `timeoutMs`) and returns its exit code and output. */
export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const child = new CliProcess(args, options);
  const result = await child.exit();
  if (result.signal === "SIGKILL")
    throw new CliTimeoutError(
      `pipeline ${args.join(" ")} did not finish within ${options.timeoutMs ?? 45_000} ms\n${result.stdout}\n${result.stderr}`,
    );
  return result;
}

/** Parses each non-empty line that is a JSON object. */
export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // an incomplete last line while the child is still writing
    }
  }
  return lines;
}

/** The single JSON document a `--json` command printed on stdout. */
export function parseJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch (cause) {
    throw new Error(`stdout is not one JSON document:\n${result.stdout}\n--- stderr\n${result.stderr}`, {
      cause,
    });
  }
}

/** A Node/V8 stack frame, which users must never see without --debug. */
export function hasStackTrace(text: string): boolean {
  return /^ {4}at /m.test(text);
}

/** A Node process warning (`(node:123) SomeWarning: ...`): users must not see them either. */
function hasProcessWarning(text: string): boolean {
  return /^\(node:\d+\) \w*Warning: /m.test(text);
}

/**
 * Kills every CLI child still running after each test and after the suite, also when a test failed. After each
 * test it also fails the test if any run printed a stack trace without --debug, or a Node process warning.
 */
export function useCliCleanup(): void {
  const killAll = () => {
    for (const child of running) child.kill("SIGKILL");
    running.clear();
  };
  afterEach(() => {
    killAll();
    const runs = finished.splice(0);
    for (const run of runs) {
      if (!run.args.includes("--debug") && hasStackTrace(run.stderr))
        throw new Error(
          `pipeline ${run.args.join(" ")} printed a stack trace without --debug:\n${run.stderr}`,
        );
      if (hasProcessWarning(run.stderr))
        throw new Error(`pipeline ${run.args.join(" ")} printed a process warning:\n${run.stderr}`);
    }
  });
  afterAll(killAll);
}
