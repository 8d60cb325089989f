import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, open, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** LocalStack's init stages, in the order they run (`localstack/runtime/init.py`). */
export const INIT_STAGES = ["BOOT", "START", "READY", "SHUTDOWN"] as const;
export type InitStage = (typeof INIT_STAGES)[number];

/** A script's state as LocalStack names it: UNKNOWN until it runs, then RUNNING, SUCCESSFUL or ERROR. */
type InitScriptState = "UNKNOWN" | "RUNNING" | "SUCCESSFUL" | "ERROR";

export interface InitScript {
  stage: InitStage;
  /** File name, as LocalStack reports it (`os.path.basename`). */
  name: string;
  path: string;
  state: InitScriptState;
}

/** `GET /_localstack/init/<stage>`: `{"completed": bool, "scripts": [...]}`. */
export interface InitStageView {
  completed: boolean;
  scripts: Array<{ stage: InitStage; name: string; state: InitScriptState }>;
}

/** `GET /_localstack/init`: every stage's completion and every script. */
export interface InitView {
  completed: Record<InitStage, boolean>;
  scripts: InitStageView["scripts"];
}

/**
 * State of LocalStack-style init hooks. The embedded engine has booted and started by the time it serves, so
 * BOOT and START are complete; READY completes when `up` has provisioned or run the ready.d scripts.
 */
export class InitState {
  readonly #completed: Record<InitStage, boolean> = {
    BOOT: true,
    START: true,
    READY: false,
    SHUTDOWN: false,
  };
  readonly #scripts: InitScript[] = [];
  readonly startedAt = Date.now();

  /** Registers scripts found for a stage, all UNKNOWN until they run. */
  add(scripts: InitScript[]): void {
    this.#scripts.push(...scripts);
  }

  complete(stage: InitStage = "READY"): void {
    this.#completed[stage] = true;
  }

  /** Whether the READY stage completed (what `/_localstack/init/ready` answers as `completed`). */
  get completed(): boolean {
    return this.#completed.READY;
  }

  stage(stage: InitStage): InitStageView {
    return {
      completed: this.#completed[stage],
      scripts: this.#scripts.filter((s) => s.stage === stage).map(publicScript),
    };
  }

  view(): InitView {
    return { completed: { ...this.#completed }, scripts: this.#scripts.map(publicScript) };
  }
}

const publicScript = ({ stage, name, state }: InitScript) => ({ stage, name, state });

/** Scripts LocalStack runs: `.sh` by path and `.py` in its own interpreter; any other file is ignored. */
const SCRIPT_SUFFIXES = [".sh", ".py"];

/**
 * The scripts of one stage directory (`<initDir>/<stage>.d`), in LocalStack's order: sorted by file name,
 * by code point (Python's `sorted`), not by locale.
 */
export async function findStageScripts(initDir: string, stage: InitStage): Promise<InitScript[]> {
  const dir = join(initDir, `${stage.toLowerCase()}.d`);
  const names = await readdir(dir).catch(() => [] as string[]);
  const scripts: InitScript[] = [];
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!SCRIPT_SUFFIXES.some((suffix) => name.endsWith(suffix))) continue;
    const path = join(dir, name);
    if ((await stat(path).catch(() => undefined))?.isFile())
      scripts.push({ stage, name, path, state: "UNKNOWN" });
  }
  return scripts;
}

export interface InitHookOptions {
  /** The engine's endpoint: `awslocal` and `AWS_ENDPOINT_URL` point there. */
  endpoint: string;
  region: string;
  /** The AWS CLI the `awslocal` shim runs (LocalStack's image has its own); default: AWS CLI v2 if found, else `aws`. */
  awsCli?: string;
  /** Extra environment for the scripts (what compose gives LocalStack's container, e.g. PIPELINE_FUNCTION_ZIP). */
  env?: Record<string, string>;
  /** Each line a script prints, as LocalStack logs it. */
  onOutput?: (script: InitScript, line: string) => void;
  /** Aborting kills a running script's process group (the engine is stopping). */
  signal?: AbortSignal;
}

/**
 * Runs one stage's scripts the way LocalStack 4.14's runner does: each executed by its path (so the executable
 * bit and the shebang matter), one after another in name order, each marked RUNNING, then SUCCESSFUL on exit code
 * 0 or ERROR otherwise. A failing script does not stop the others, and the stage is completed either way, as
 * LocalStack completes it in a `finally`: readiness alone never says the scripts succeeded.
 */
export async function runStageScripts(
  state: InitState,
  stage: InitStage,
  scripts: InitScript[],
  options: InitHookOptions,
): Promise<InitScript[]> {
  state.add(scripts);
  const shim = await awslocalShim(options.awsCli ?? findAwsCliV2() ?? "aws");
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: options.region,
      AWS_ENDPOINT_URL: options.endpoint,
      AWS_PAGER: "",
      ...options.env,
      PATH: [shim.dir, process.env.PATH ?? "/usr/bin:/bin"].join(delimiter),
    };
    for (const script of scripts) {
      if (options.signal?.aborted) break;
      script.state = "RUNNING";
      const ok = await runScript(script, env, options).catch((error: Error) => {
        options.onOutput?.(script, `error: ${error.message}`);
        return false;
      });
      script.state = ok ? "SUCCESSFUL" : "ERROR";
    }
  } finally {
    await shim.remove();
    state.complete(stage);
  }
  return scripts;
}

async function runScript(
  script: InitScript,
  env: NodeJS.ProcessEnv,
  options: InitHookOptions,
): Promise<boolean> {
  if (script.name.endsWith(".py")) {
    throw new Error("Python init scripts run only inside LocalStack; the embedded engine runs shell scripts");
  }
  await assertExecutableByKernel(script.path);
  const child = spawn(script.path, [], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const kill = () => killGroup(child);
  options.signal?.addEventListener("abort", kill, { once: true });
  const forward = (chunk: Buffer, buffered: { text: string }) => {
    buffered.text += chunk.toString("utf8");
    const lines = buffered.text.split("\n");
    buffered.text = lines.pop() ?? "";
    for (const line of lines) options.onOutput?.(script, line);
  };
  const out = { text: "" };
  const err = { text: "" };
  child.stdout.on("data", (chunk: Buffer) => forward(chunk, out));
  child.stderr.on("data", (chunk: Buffer) => forward(chunk, err));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (exitCode) => resolve(exitCode));
    });
    for (const rest of [out.text, err.text]) if (rest) options.onOutput?.(script, rest);
    if (code !== 0) options.onOutput?.(script, `exited with code ${code ?? "(signal)"}`);
    return code === 0;
  } finally {
    options.signal?.removeEventListener("abort", kill);
  }
}

/**
 * What execve(2) would refuse, checked before spawning: Python's subprocess (LocalStack) fails on a file without
 * the run bit (EACCES) or without a `#!` line (ENOEXEC), but libuv retries the latter with /bin/sh.
 */
async function assertExecutableByKernel(path: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o111) === 0)
    throw new Error(`[Errno 13] Permission denied: '${path}' (no executable bit)`);
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    const shebang = head.subarray(0, 2).toString("latin1") === "#!";
    const elf = head.toString("latin1") === "\x7fELF";
    if (!shebang && !elf) throw new Error(`[Errno 8] Exec format error: '${path}' (no #! line)`);
  } finally {
    await file.close();
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * A directory holding `awslocal`, put first on the scripts' PATH: as in LocalStack's image, `awslocal` is the AWS
 * CLI pointed at the emulator. The endpoint is passed as a flag because AWS CLI releases before 2.13 (Debian's)
 * ignore AWS_ENDPOINT_URL.
 */
async function awslocalShim(awsCli: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "pipeline-awslocal-"));
  const path = join(dir, "awslocal");
  await writeFile(
    path,
    `#!/bin/sh\nexec '${awsCli.replaceAll("'", `'\\''`)}' --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n`,
  );
  await chmod(path, 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The AWS CLI v2 binary: AWS_CLI_V2 if set, else the first `aws` whose `--version` says aws-cli/2 among
 * /usr/bin/aws (Debian), /usr/local/bin/aws (GitHub's Ubuntu runners) and every `aws` on PATH. A pyenv shim
 * earlier on PATH may be AWS CLI v1 and is skipped.
 */
export function findAwsCliV2(): string | undefined {
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "aws"));
  for (const candidate of [process.env.AWS_CLI_V2, "/usr/bin/aws", "/usr/local/bin/aws", ...onPath]) {
    if (!candidate) continue;
    try {
      const version = execFileSync(candidate, ["--version"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 20_000,
      });
      if (version.startsWith("aws-cli/2")) return candidate;
    } catch {
      // not installed there
    }
  }
  return undefined;
}
