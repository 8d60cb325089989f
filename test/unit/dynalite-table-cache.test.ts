import { describe, expect, it } from "vitest";
import { cachedTableDescriptions } from "../../src/engine/dynamodb/dynalite-rewrites.ts";
import { compileDynaliteModule, dynaliteSource } from "../helpers/dynalite-module.ts";

const dbSource = dynaliteSource("db/index.js");

interface TableStore {
  put(key: string, value: unknown, done: (error?: Error) => void): void;
  del(key: string, done: (error?: Error) => void): void;
}
interface Store {
  tableDb: TableStore;
  /** dynalite's LevelDB, under every sub-store. */
  db: object;
  getTable(name: string, done: (error: Error | null, table?: Table) => void): void;
  getTable(name: string, checkStatus: boolean, done: (error: Error | null, table?: Table) => void): void;
}
interface Table {
  TableName: string;
  TableStatus: string;
  KeySchema: Array<{ AttributeName: string; KeyType: string }>;
}

/** dynalite's own db/index.js, rewritten, compiled afresh. */
function rewrittenStore(): Store {
  return compileDynaliteModule<{ create(options: object): Store }>(
    "db/index.js",
    cachedTableDescriptions,
  ).create({});
}

/**
 * Slows the store's LevelDB down: `get` answers `ms` later (with what it read at once), `put` lands `ms` later.
 * Returns the undo.
 */
function delay(store: Store, method: "get" | "put", ms: number): () => void {
  const db = store.db as Record<string, (...args: unknown[]) => unknown>;
  const original = db[method] as (...args: unknown[]) => unknown;
  db[method] = (...args: unknown[]) => {
    const done = args.pop() as (...results: unknown[]) => void;
    if (method === "put") setTimeout(() => original.call(db, ...args, done), ms);
    else original.call(db, ...args, (...results: unknown[]) => setTimeout(() => done(...results), ms));
  };
  return () => {
    db[method] = original;
  };
}

const description = (key: string): Table => ({
  TableName: "t1",
  TableStatus: "ACTIVE",
  KeySchema: [{ AttributeName: key, KeyType: "HASH" }],
});
const put = (store: Store, table: Table) =>
  new Promise<void>((resolve, reject) => store.tableDb.put("t1", table, (e) => (e ? reject(e) : resolve())));
const read = (store: Store, checkStatus?: false) =>
  new Promise<Table>((resolve, reject) => {
    const done = (error: Error | null, table?: Table) => (error ? reject(error) : resolve(table as Table));
    if (checkStatus === false) store.getTable("t1", false, done);
    else store.getTable("t1", done);
  });

describe("dynalite's table descriptions, cached for item operations", () => {
  it("rewrites dynalite's own source, and refuses a source without what it rewrites", () => {
    expect(cachedTableDescriptions(dbSource)).toContain("function readTable (name, checkStatus, cb) {");
    expect(() => cachedTableDescriptions("module.exports = {}")).toThrow(/cannot cache table descriptions/);
  });

  it("gives item operations one frozen description, and the control plane a copy of its own", async () => {
    const store = rewrittenStore();
    await put(store, description("id"));
    const first = await read(store);
    expect(await read(store)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.KeySchema[0])).toBe(true);
    const control = await read(store, false);
    expect(control).not.toBe(first);
    expect(control).toEqual(first);
    control.TableStatus = "DELETING"; // what DeleteTable does to its copy before writing it
    expect((await read(store)).TableStatus).toBe("ACTIVE");
  });

  it("reads a table written, created again or deleted since", async () => {
    const store = rewrittenStore();
    await put(store, description("id"));
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("id");
    await put(store, description("PK"));
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("PK");
    await new Promise<void>((resolve, reject) => store.tableDb.del("t1", (e) => (e ? reject(e) : resolve())));
    await expect(read(store)).rejects.toMatchObject({ name: "NotFoundError", statusCode: 400 });
  });

  it("reads what a write just called wrote, as dynalite's store does without the cache", async () => {
    const store = rewrittenStore();
    await put(store, description("id"));
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("id");
    const written = put(store, description("PK"));
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("PK");
    await written;
  });

  // The in-memory LevelDB answers in the order it is asked, so the two orders a write can race a read in are made
  // here: a read whose answer (the old description) arrives after the write completed, and a read made while the
  // write has not landed yet.
  it("does not keep a description read before a write, answered after the write completed", async () => {
    const store = rewrittenStore();
    await put(store, description("id"));
    const restore = delay(store, "get", 30);
    const before = read(store);
    await put(store, description("PK"));
    restore();
    expect((await before).KeySchema[0]?.AttributeName).toBe("id");
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("PK");
  });

  it("does not keep a description read while a write had not landed", async () => {
    const store = rewrittenStore();
    await put(store, description("id"));
    const restore = delay(store, "put", 30);
    const written = put(store, description("PK"));
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("id");
    await written;
    restore();
    expect((await read(store)).KeySchema[0]?.AttributeName).toBe("PK");
  });
});
