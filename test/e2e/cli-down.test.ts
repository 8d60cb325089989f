import { beforeAll, describe, expect, it } from "vitest";
import { listObjects } from "../../src/pipeline/objects.ts";
import { scanRecords } from "../../src/pipeline/records.ts";
import { observeStack } from "../../src/stack/observe.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { parseJson, runCli, useCliCleanup } from "../helpers/cli.ts";
import { useEngine } from "../helpers/engine.ts";

const stack = defineStack();

interface DownJson {
  event: "down";
  keepData: boolean;
  steps: Array<{ step: string; resource: string; action: "deleted" | "absent" | "kept" }>;
}

const actions = (json: DownJson) => Object.fromEntries(json.steps.map((s) => [s.step, s.action]));

describe("CLI: pipeline down", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);

  beforeAll(async () => {
    target.engine?.markReady();
    expect((await cli("up")).code).toBe(0);
    const upload = await cli("upload", "fixtures", "--wait");
    expect(upload.code, upload.stderr).toBe(0);
  });

  it("--keep-data removes function, role and notification but keeps objects and records", async () => {
    const objects = await listObjects(target.clients, stack.bucket, stack.uploadPrefix);
    const records = await scanRecords(target.clients, stack);

    const result = await cli("--json", "down", "--keep-data");

    expect(result.code, result.stderr).toBe(0);
    const json = parseJson<DownJson>(result);
    expect(json.keepData).toBe(true);
    expect(actions(json)).toEqual({
      notification: "deleted",
      function: "deleted",
      role: "deleted",
      "log-group": "kept",
      "on-failure-queue": "kept",
      table: "kept",
      bucket: "kept",
    });
    expect((await observeStack(target.clients, stack)).function).toBeNull();
    expect(await listObjects(target.clients, stack.bucket, stack.uploadPrefix)).toEqual(objects);
    expect(await scanRecords(target.clients, stack)).toHaveLength(records.length);
  });

  it("removes the whole stack, then a second down finds everything absent; both exit 0", async () => {
    const up = await cli("--json", "up");
    expect(up.code, up.stderr).toBe(0);
    expect(
      parseJson<{ steps: Array<{ step: string; action: string }> }>(up).steps.find(
        (s) => s.step === "function",
      )?.action,
    ).toBe("created");

    const first = await cli("--json", "down");

    expect(first.code, first.stderr).toBe(0);
    const removed = parseJson<DownJson>(first);
    expect(removed.keepData).toBe(false);
    expect(removed.steps.map((s) => s.step)).toEqual([
      "notification",
      "function",
      "role",
      "log-group",
      "on-failure-queue",
      "table",
      "bucket",
    ]);
    expect(removed.steps.every((s) => s.action === "deleted")).toBe(true);
    const gone = await observeStack(target.clients, stack);
    expect([gone.table, gone.bucket, gone.function, gone.role]).toEqual([null, null, null, null]);

    const second = await cli("--json", "down");

    expect(second.code, second.stderr).toBe(0);
    expect(parseJson<DownJson>(second).steps.every((s) => s.action === "absent")).toBe(true);
  });

  it("says so in human mode, with nothing left to remove", async () => {
    const human = await cli("down");

    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`no stack at ${target.endpoint}: nothing to remove\n`);
  });
});
