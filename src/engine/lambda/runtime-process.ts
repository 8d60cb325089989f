import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/**
 * A function runtime's process: started under a launcher in a process group of its own, killed with its whole
 * group, and its exit read back through the launcher.
 */

/** The runtime's bootstrap script, run by the function's Node. */
const bootstrapPath = fileURLToPath(new URL("./bootstrap.mjs", import.meta.url));
/**
 * The launcher between the engine and the runtime: a shell that runs the runtime as its child and waits. The
 * runtime's parent is then a process whose environment is the function's own (not the engine's, which a function
 * could otherwise read from `/proc/<ppid>/environ`); `exec` is avoided on purpose so the shell stays the parent.
 */
const launcherPath = "/bin/sh";
const launcherScript = '"$@"; exit $?';
/** Signals a launcher's `128 + n` exit status stands for (other statuses, such as 129, are the runtime's own). */
const relayedSignals = new Set(["SIGABRT", "SIGKILL", "SIGSEGV", "SIGBUS", "SIGTERM"]);

export interface RuntimeSpawnOptions {
  codeDirectory: string;
  /** The runtime's whole environment (nothing of the engine's is inherited). */
  env: Record<string, string>;
  nodeFlags: string[];
}

/**
 * Starts a runtime: `nodeBinary` running the bootstrap under the launcher, in a process group of its own
 * (`detached`) so that {@link killGroup} ends it with everything it spawned. The channel (fd 3) passes
 * through the launcher to the runtime.
 */
export function spawnRuntime(nodeBinary: string, options: RuntimeSpawnOptions): ChildProcess {
  const runtime = [nodeBinary, ...options.nodeFlags, bootstrapPath];
  const [command, ...args] = withParentDeath([
    launcherPath,
    "-c",
    launcherScript,
    "launcher",
    ...withParentDeath(runtime),
  ]);
  return spawn(command as string, args, {
    cwd: options.codeDirectory,
    env: options.env,
    detached: true,
    // fd 3: the runtime's channel (channel.ts), a plain pipe read by the engine's own decoder. Not Node's IPC:
    // its parser throws on a line that is not JSON (ending the engine) and buffers a line without bound.
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
}

/**
 * util-linux's `setpriv`, on Linux: it sets the parent-death signal (`prctl(PR_SET_PDEATHSIG)`) and execs the
 * command, adding no process. Without it (macOS, or a Linux without util-linux) runtimes start as before.
 */
const setpriv =
  process.platform === "linux" ? ["/usr/bin/setpriv", "/bin/setpriv"].find(existsSync) : undefined;

/** Whether runtimes carry a parent-death signal here (Linux with util-linux's `setpriv`). */
export const hasParentDeathSignal = setpriv !== undefined;

/**
 * `command` SIGKILLed when its parent dies, where the system can say so: the launcher when the engine dies, the
 * runtime when its launcher does. An engine that is itself SIGKILLed (or crashes) runs no exit hook, and a runtime
 * busy in a loop never sees its channel close: without this it would run on, orphaned, for good.
 */
function withParentDeath(command: string[]): string[] {
  return setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
}

/** SIGKILLs the child's whole process group; a group already gone is fine. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // ESRCH: every process of the group has exited already.
  }
}

/** The runtime's own exit, read through the launcher: a shell reports a child killed by signal n as 128 + n. */
export function runtimeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (signal || code === null || code <= 128) return { code, signal };
  const name = (Object.keys(constants.signals) as NodeJS.Signals[]).find(
    (candidate) => constants.signals[candidate] === code - 128,
  );
  return name && relayedSignals.has(name) ? { code: null, signal: name } : { code, signal };
}

/** How a runtime ended, as Lambda's `Runtime.ExitError` message writes it. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal: ${signal === "SIGKILL" ? "killed" : signal}`;
  return `exit status ${code ?? 0}`;
}
