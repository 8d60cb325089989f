import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTempCodeRoot,
  processStamp,
  removeOrphanedCodeRoots,
} from "../../src/engine/lambda/code-root.ts";

const scratches: string[] = [];
afterEach(() => {
  for (const dir of scratches.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "code-root-"));
  scratches.push(dir);
  return dir;
};
/** The pid of a process that has run and exited. */
const goneProcessPid = () => spawnSync(process.execPath, ["-e", "0"]).pid as number;
const codeRoot = (temp: string, name: string, owner?: string) => {
  const dir = join(temp, name);
  mkdirSync(dir);
  if (owner !== undefined) writeFileSync(join(dir, "owner"), owner);
  return dir;
};

describe("unpacked code of engines that are gone", () => {
  it("knows a running process from one that exited, and on Linux from a later process given the same pid", () => {
    const own = processStamp(process.pid);
    expect(own).toMatch(/^\d+/);
    expect(processStamp(process.pid)).toBe(own);
    expect(processStamp(goneProcessPid())).toBeUndefined();
    if (process.platform === "linux") expect(own).not.toBe(`${process.pid} 1`);
  });

  it("removes code roots whose owner is gone and nothing else", () => {
    // Prepare
    const temp = scratch();
    const own = processStamp(process.pid) as string;
    const dead = codeRoot(temp, "pipeline-lambda-dead", `${goneProcessPid()} 12345`);
    const reused = codeRoot(temp, "pipeline-lambda-reused", `${process.pid} 1`);
    const live = codeRoot(temp, "pipeline-lambda-live", own);
    const unowned = codeRoot(temp, "pipeline-lambda-unowned");
    const garbled = codeRoot(temp, "pipeline-lambda-garbled", "not a pid");
    const other = codeRoot(temp, "something-else", `${goneProcessPid()}`);
    const kept = codeRoot(temp, "pipeline-lambda-kept", `${goneProcessPid()}`);
    const logged: string[] = [];
    // Act
    removeOrphanedCodeRoots(temp, kept, (line) => logged.push(line));
    // Assess
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(reused)).toBe(process.platform !== "linux");
    for (const dir of [live, unowned, garbled, other, kept]) expect(existsSync(dir), dir).toBe(true);
    expect(logged.join("\n")).toContain(dead);
  });

  it("a new code root names its owner and clears what killed engines left", () => {
    // Prepare
    const temp = scratch();
    const left = codeRoot(temp, "pipeline-lambda-left", `${goneProcessPid()}`);
    // Act
    const root = createTempCodeRoot(temp, () => undefined);
    // Assess
    expect(readdirSync(temp)).toEqual([root.slice(temp.length + 1)]);
    expect(existsSync(left)).toBe(false);
    expect(readdirSync(root)).toEqual(["owner"]);
  });
});
