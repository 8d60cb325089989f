import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";

/**
 * The engine's sources under tsx, as the tests and the bench's per-request figures load them: tsx compiles with
 * esbuild's keepNames, which names each function held in a const or a property with an Object.defineProperty call
 * as it is made. Measured on Node 24, those calls cost the S3 GET 7.5% (docs/benchmarks.md, thirteenth session), so
 * the request path makes none: this counts them, by place, on a live engine (test/fixtures/request-path-names.mjs).
 */
describe("request path: the engine's own code names no closure per request under tsx", () => {
  it("for S3 PutObject, GetObject, HeadObject, DynamoDB PutItem, GetItem, SQS SendMessage, ReceiveMessage, Logs PutLogEvents, GetLogEvents and Lambda Invoke", () => {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "test/fixtures/request-path-names.mjs")],
      { cwd: repoRoot, encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const made = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, object>;

    expect(Object.keys(made)).toEqual([
      "PutObject",
      "GetObject",
      "HeadObject",
      "PutItem",
      "GetItem",
      "SendMessage",
      "ReceiveMessage",
      "PutLogEvents",
      "GetLogEvents",
      "Invoke",
    ]);
    for (const [kind, places] of Object.entries(made)) expect(places, kind).toEqual({});
  });
});
