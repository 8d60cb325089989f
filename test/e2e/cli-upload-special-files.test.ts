import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BIN, type CliResult, hasStackTrace, runCli, useCliCleanup } from "../helpers/cli.ts";

/**
 * `pipeline upload` on inputs that are not regular files (issue 13): a FIFO would block a reader forever and
 * /dev/zero never ends, so both are skipped with a warning; an unreadable directory is said to be one. Files are
 * examined before any endpoint is asked, so these runs need no engine: the endpoint is a closed port.
 */
const endpoint = "http://127.0.0.1:1";
const isRoot = process.getuid?.() === 0;
const canDropToNobody = isRoot && existsSync("/usr/bin/setpriv");
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pipeline-special-"));
  // Readable by the unprivileged user the unreadable-directory case runs as.
  await chmod(scratch, 0o755);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function expectRefusedQuickly(result: CliResult, warning: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.durationMs).toBeLessThan(5_000);
  expect(result.stderr).toMatch(warning);
  expect(result.stderr).toMatch(/^pipeline: nothing to upload: \d+ entr(y was|ies were) skipped/m);
  expect(hasStackTrace(result.stderr)).toBe(false);
}

describe("CLI: pipeline upload skips what is not a regular file", () => {
  useCliCleanup();

  it("skips a FIFO with a warning instead of blocking on it", async () => {
    const fifo = join(scratch, "pipe.jpg");
    await new Promise<void>((resolve, reject) =>
      spawn("mkfifo", [fifo]).once("exit", (code) => (code === 0 ? resolve() : reject(new Error("mkfifo")))),
    );
    expect(statSync(fifo).isFIFO()).toBe(true);
    const result = await runCli(["--endpoint", endpoint, "upload", fifo], { timeoutMs: 20_000 });
    expectRefusedQuickly(result, /warning: skipped .*pipe\.jpg: not a regular file \(FIFO\)/);
  });

  it("follows a symlink to /dev/zero and skips the device instead of reading it forever", async () => {
    const directory = join(scratch, "links");
    await mkdir(directory);
    await symlink("/dev/zero", join(directory, "zero.jpg"));
    const result = await runCli(["--endpoint", endpoint, "upload", directory], { timeoutMs: 20_000 });
    expectRefusedQuickly(result, /warning: skipped .*zero\.jpg: not a regular file \(character device\)/);
  });

  it("skips symlinks altogether with --no-follow-symlinks", async () => {
    const directory = join(scratch, "linked-image");
    await mkdir(directory);
    await writeFile(join(scratch, "real.jpg"), "jpeg");
    await symlink(join(scratch, "real.jpg"), join(directory, "alias.jpg"));
    const result = await runCli(["--endpoint", endpoint, "upload", "--no-follow-symlinks", directory], {
      timeoutMs: 20_000,
    });
    expectRefusedQuickly(result, /warning: skipped .*alias\.jpg: symbolic link \(--no-follow-symlinks\)/);
  });

  it.skipIf(isRoot && !canDropToNobody)(
    "says 'permission denied' for an unreadable directory (as an unprivileged user: root reads everything)",
    async () => {
      const locked = join(scratch, "locked");
      await mkdir(locked);
      await writeFile(join(locked, "a.jpg"), "jpeg");
      await chmod(locked, 0o700);
      const started = performance.now();
      const command = canDropToNobody ? "/usr/bin/setpriv" : process.execPath;
      const args = canDropToNobody
        ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI_BIN]
        : [CLI_BIN];
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(command, [...args, "--endpoint", endpoint, "upload", locked], {
          env: { ...process.env, HOME: tmpdir() },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (text: string) => {
          stderr += text;
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.once("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
      const durationMs = performance.now() - started;
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim()).toBe(`pipeline: cannot read ${locked}: permission denied`);
      expect(durationMs).toBeLessThan(5_000);
    },
  );
});
