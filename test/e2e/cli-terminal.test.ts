import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { CLI_BIN, hasStackTrace } from "../helpers/cli.ts";
import { useEngine } from "../helpers/engine.ts";
import { provisionPipeline } from "../helpers/pipeline.ts";

const stack = defineStack();
/** util-linux's `script`: runs a command with a pseudo-terminal as its stdout, as a person's shell does. */
const scriptBinary = "/usr/bin/script";

/**
 * Runs the CLI in a terminal (a pty through `script`), where it draws what it draws for a person: progress bars,
 * colors. Returns the exit code and everything the terminal showed. Asynchronous: the engine answers from this
 * process.
 */
async function inTerminal(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI_BIN, ...args]
    .map((part) => `'${part.replace(/'/g, "'\\''")}'`)
    .join(" ");
  const child = spawn(scriptBinary, ["-q", "-e", "-c", command, "/dev/null"], {
    cwd: repoRoot,
    env: { ...process.env, ...env, TERM: "xterm-256color" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    screen += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    screen += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  return { code, screen };
}

// Non-interactive runs (every other CLI suite) never draw the progress bar; a person's terminal does.
describe.skipIf(!existsSync(scriptBinary))("CLI in a terminal (a pty)", { timeout: 120_000 }, () => {
  const target = useEngine();
  beforeAll(async () => {
    await provisionPipeline(target.clients, stack);
  }, 90_000);

  it("upload of several files draws its progress bar and uploads them all (exit 0)", async () => {
    const { code, screen } = await inTerminal(["upload", "fixtures"], { PIPELINE_ENDPOINT: target.endpoint });

    expect(code, JSON.stringify(screen)).toBe(0);
    expect(hasStackTrace(screen)).toBe(false);
    expect(screen).not.toContain("is not a constructor");
    // The bar's own format (` {bar} {value}/{total} files | …`): it was drawn, then cleared on completion.
    expect(screen).toMatch(/\d\/8 files \|/);
    expect(screen).toMatch(/uploaded 8 of 8 files/);
  });
});
