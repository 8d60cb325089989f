import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, hasStackTrace, runCli, useCliCleanup } from "../helpers/cli.ts";
import { unusedPort } from "../helpers/ports.ts";

/** Exit 2 with exactly one stderr line and no stack trace. */
function expectOneLineUsageError(result: CliResult): string {
  expect(result.code, result.stderr).toBe(2);
  expect(hasStackTrace(result.stderr)).toBe(false);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? "";
}

describe("CLI: errors", () => {
  useCliCleanup();
  let deadEndpoint: string;
  let scratch: string;

  beforeAll(async () => {
    deadEndpoint = `http://127.0.0.1:${await unusedPort()}`;
    scratch = await mkdtemp(join(tmpdir(), "pipeline-cli-errors-"));
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("verify with no engine at the endpoint: exit 2, one line naming the URL and 'npx pipeline up'", async () => {
    const line = expectOneLineUsageError(await runCli(["--endpoint", deadEndpoint, "verify"]));

    expect(line).toContain(deadEndpoint);
    expect(line).toContain("npx pipeline up");
  });

  it.each([["logs"], ["reconcile"], ["down"], ["upload", "fixtures/cat.jpg"], ["verify", "--skip-probe"]])(
    "%s with no engine: the same one-line exit 2",
    async (...args) => {
      const line = expectOneLineUsageError(await runCli(["--endpoint", deadEndpoint, ...args]));

      expect(line).toMatch(
        new RegExp(`^pipeline: nothing is listening at ${deadEndpoint}: .*npx pipeline up`),
      );
    },
  );

  it("watch with no engine: the same one-line exit 2", async () => {
    const line = expectOneLineUsageError(await runCli(["--endpoint", deadEndpoint, "watch", scratch]));

    expect(line).toContain(deadEndpoint);
  });

  it("--debug adds the stack trace", async () => {
    const result = await runCli(["--debug", "--endpoint", deadEndpoint, "verify"]);

    expect(result.code).toBe(2);
    expect(hasStackTrace(result.stderr)).toBe(true);
  });

  it.each([
    [["--endpoint", "notaurl", "verify"], {}],
    [["--endpoint", "ftp://localhost:4566", "logs"], {}],
    [["verify"], { PIPELINE_ENDPOINT: "notaurl" }],
  ])("rejects a malformed endpoint %j %j with exit 2", async (args, env) => {
    const line = expectOneLineUsageError(await runCli(args, { env }));

    expect(line).toBe("pipeline: invalid --endpoint: expected a URL like http://localhost:4566, or 'aws'");
  });

  it.each([
    [["frobnicate"], /^error: unknown command 'frobnicate'/],
    [["--frobnicate", "verify"], /^error: unknown option '--frobnicate'/],
    [["verify", "--frobnicate"], /^error: unknown option '--frobnicate'/],
    [["upload"], /^error: missing required argument 'paths'/],
    [["up", "--dynamodb", "mongo"], /^error: option '--dynamodb <backend>' argument 'mongo' is invalid/],
    [["up", "--port", "70000"], /^pipeline: invalid --port: expected an integer from 0 to 65535$/m],
    [
      ["ui", "--allow-writes", "--read-only"],
      /^pipeline: --allow-writes and --read-only contradict each other/,
    ],
  ])("usage error %j exits 2 without a stack trace", async (args, message) => {
    const result = await runCli(args);

    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it("--help and --version exit 0", async () => {
    const help = await runCli(["--help"]);
    const version = await runCli(["--version"]);

    expect([help.code, version.code]).toEqual([0, 0]);
    expect(help.stdout).toContain("Usage: pipeline");
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("--endpoint aws without credentials: exit 2, one line, fast (no network wait)", async () => {
    const started = performance.now();

    const result = await runCli(["--endpoint", "aws", "verify"], {
      env: {
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_SESSION_TOKEN: "",
        AWS_PROFILE: "",
        AWS_DEFAULT_PROFILE: "",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
      timeoutMs: 20_000,
    });

    const line = expectOneLineUsageError(result);
    expect(line).toMatch(/^pipeline: no usable AWS credentials for region us-east-1: .*--profile/);
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
