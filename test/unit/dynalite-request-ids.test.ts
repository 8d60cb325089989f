import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { pooledRequestIds } from "../../src/engine/dynamodb/dynalite-rewrites.ts";

const dynaliteIndex = readFileSync(createRequire(import.meta.url).resolve("dynalite"), "utf8");
/** dynalite's own rand52CharId, cut from its index.js, as a function of `crypto`. */
const ownFunction = /function rand52CharId \(\) \{[\s\S]*?\n\}\n/.exec(dynaliteIndex)?.[0] ?? "";

function compile(source: string): () => string {
  let calls = 0;
  const crypto = {
    randomBytes: (size: number) => {
      calls += 1;
      return randomBytes(size);
    },
  };
  const make = new Function("crypto", "Buffer", `${source}\nreturn rand52CharId;`);
  const id = make(crypto, Buffer) as () => string;
  return Object.assign(id, { calls: () => calls });
}

describe("dynalite's request ids from a pool", () => {
  it("rewrites dynalite's own source", () => {
    expect(ownFunction).toContain("crypto.randomBytes(39)");
    expect(pooledRequestIds(dynaliteIndex)).toContain("var bytes = pooledRandom39()");
  });

  it("keeps the ids 52 characters of the same alphabet, distinct, with one randomBytes call per 256", () => {
    const rewritten = pooledRequestIds(ownFunction);
    const next = compile(rewritten) as (() => string) & { calls: () => number };
    const ids = Array.from({ length: 600 }, () => next());
    for (const id of ids) expect(id).toMatch(/^[A-Z0-9]{52}$/);
    expect(new Set(ids).size).toBe(600);
    expect(next.calls()).toBe(3);
  });

  it("refuses a source that no longer draws randomBytes(39)", () => {
    expect(() => pooledRequestIds("function rand52CharId () { return 'x' }")).toThrow(/cannot pool/);
  });
});
