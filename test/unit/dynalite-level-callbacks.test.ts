import { describe, expect, it } from "vitest";
import { callbacksOnNextTick } from "../../src/engine/dynamodb/dynalite-rewrites.ts";
import { compileDynaliteModule, dynaliteSource } from "../helpers/dynalite-module.ts";

type Callback = (error: Error | null, value?: unknown) => void;
interface SubDb {
  get(key: string, done: Callback): void;
  put(key: string, value: unknown, done: Callback): void;
  del(key: string, done: Callback): void;
  batch(operations: unknown[], done: Callback): void;
}
interface Store {
  getItemDb(name: string): SubDb;
}

/** dynalite's own db/index.js, as dynalite has it or rewritten, on a fresh in-memory LevelDB. */
const store = (rewrite?: (source: string) => string) =>
  compileDynaliteModule<{ create(options: object): Store }>("db/index.js", rewrite).create({});

const call = <T>(operation: (done: Callback) => void) =>
  new Promise<{ error: Error | null; value: T | undefined }>((resolve) =>
    operation((error, value) => resolve({ error, value: value as T | undefined })),
  );

/**
 * How many turns of the event loop's check phase (a chain of setImmediate started with the operation) passed before
 * the operation called back.
 */
function checkPhasesBefore(operation: (done: Callback) => void): Promise<number> {
  let phases = 0;
  let called = false;
  const tick = () =>
    setImmediate(() => {
      if (called) return;
      phases++;
      tick();
    });
  return new Promise((resolve) => {
    operation(() => {
      called = true;
      resolve(phases);
    });
    tick();
  });
}

describe("dynalite's LevelDB callbacks on the next tick", () => {
  it("rewrites dynalite's own db/index.js, every settled answer of its wrapper", () => {
    const source = dynaliteSource("db/index.js");
    const rewritten = callbacksOnNextTick(source);
    expect(source).toContain("setImmediate(callback, null, value)");
    expect(rewritten).not.toContain("setImmediate(callback, null");
    expect(rewritten).toContain(".catch(err => setImmediate(callback, err))");
  });

  it("answers get, put, del and batch as dynalite does, values and misses alike", async () => {
    const sequence = async (items: SubDb) => [
      await call((done) => items.put("k", { a: 1 }, done)),
      await call((done) => items.get("k", done)),
      await call((done) => items.batch([{ type: "put", key: "j", value: { b: 2 } }], done)),
      await call((done) => items.del("k", done)),
      await call((done) => items.get("k", done)),
      await call((done) => items.get("j", done)),
    ];
    const rewritten = await sequence(store(callbacksOnNextTick).getItemDb("t"));
    expect(rewritten).toEqual(await sequence(store().getItemDb("t")));
    expect(rewritten[1]).toEqual({ error: null, value: { a: 1 } });
    expect(rewritten[5]).toEqual({ error: null, value: { b: 2 } });
  });

  it("calls back in the turn its LevelDB answered, where dynalite waited for the next check phase", async () => {
    const original = store().getItemDb("t");
    const rewritten = store(callbacksOnNextTick).getItemDb("t");
    await call((done) => original.put("k", 1, done));
    await call((done) => rewritten.put("k", 1, done));
    expect(await checkPhasesBefore((done) => original.get("k", done))).toBeGreaterThan(0);
    expect(await checkPhasesBefore((done) => original.put("k", 2, done))).toBeGreaterThan(0);
    expect(await checkPhasesBefore((done) => rewritten.get("k", done))).toBe(0);
    expect(await checkPhasesBefore((done) => rewritten.put("k", 2, done))).toBe(0);
  });

  it("refuses a source whose wrapper no longer answers through setImmediate", () => {
    expect(() => callbacksOnNextTick("levelDb.get = function () {}")).toThrow(/cannot rewrite it/);
  });
});
