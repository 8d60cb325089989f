import { spawn } from "node:child_process";
import { repoRoot } from "../src/artifact/paths.ts";

/** How a script's TypeScript imports load: through tsx, or by Node's own type stripping (Node 24's source path). */
export interface ScriptLoader {
  /** The Node binary; this process's by default. */
  node?: string;
  tsx: boolean;
}

/**
 * Runs an ES module `script` in a fresh Node process, with tsx registered unless `loader` says otherwise (the
 * engine's sources as tests and the CLI's source path load them), `args` as its `process.argv[1..]`, and resolves
 * with the JSON its last stdout line holds; `what` names it in an error.
 */
export function runScript<T>(
  script: string,
  args: readonly string[],
  what: string,
  loader: ScriptLoader = { tsx: true },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const flags = loader.tsx ? ["--import", "tsx"] : [];
    const child = spawn(
      loader.node ?? process.execPath,
      [...flags, "--input-type=module", "-e", script, ...args],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as T);
      else reject(new Error(`${what} exited with ${code}: ${stderr.trim().split("\n").at(-1)}`));
    });
  });
}
