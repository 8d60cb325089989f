/**
 * The storage candidates of issue 22, measured the same way: 2,000 durable writes of a ~300-byte record issued
 * 16 at a time, each resolved only once it is on disk (fsync), with the writes queued meanwhile committed together
 * (group commit) — what the engine needs. `npx tsx bench/store-candidates.ts`; better-sqlite3 is not a dependency
 * (it builds from source here, see docs/engine.md): set BETTER_SQLITE3=/path/to/node_modules/better-sqlite3 to
 * include it.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import pLimit from "p-limit";
import { Journal } from "../src/engine/store/journal.ts";

const WRITES = 2000;
const CONCURRENCY = 16;
const record = (index: number) => ({ t: "send", queue: "q", id: `m${index}`, body: "x".repeat(240) });

/** Queues writes and commits everything queued while the previous commit ran, in one go. */
function groupCommit(commit: (batch: unknown[]) => Promise<void>): (value: unknown) => Promise<void> {
  let queue: Array<{ value: unknown; done: () => void; fail: (error: unknown) => void }> = [];
  let running = false;
  const loop = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await commit(batch.map((entry) => entry.value));
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.fail(error);
      }
    }
    running = false;
  };
  return (value) =>
    new Promise((done, fail) => {
      queue.push({ value, done, fail });
      if (running) return;
      running = true;
      void Promise.resolve().then(loop);
    });
}

async function timed(write: (index: number) => Promise<void>): Promise<number> {
  const limit = pLimit(CONCURRENCY);
  const started = performance.now();
  await Promise.all(Array.from({ length: WRITES }, (_, index) => limit(() => write(index))));
  return Math.round(WRITES / ((performance.now() - started) / 1000));
}

async function journal(directory: string): Promise<number> {
  const { journal } = await Journal.open<unknown>(join(directory, "journal.log"), (records) => records);
  const result = await timed((index) => journal.append(record(index)));
  await journal.close();
  return result;
}

async function classicLevel(directory: string): Promise<number> {
  const db = new ClassicLevel<string, string>(join(directory, "level"));
  await db.open();
  const write = groupCommit((batch) =>
    db.batch(
      batch.map((value) => {
        const entry = value as { id: string };
        return { type: "put" as const, key: entry.id, value: JSON.stringify(value) };
      }),
      { sync: true },
    ),
  );
  const result = await timed((index) => write(record(index)));
  await db.close();
  return result;
}

async function betterSqlite(directory: string, modulePath: string): Promise<number> {
  const Database = createRequire(import.meta.url)(modulePath) as new (
    path: string,
  ) => {
    pragma(text: string): unknown;
    exec(text: string): void;
    prepare(text: string): { run(...values: unknown[]): unknown };
    transaction(run: (batch: unknown[]) => void): (batch: unknown[]) => void;
    close(): void;
  };
  const db = new Database(join(directory, "store.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE records (id TEXT PRIMARY KEY, value TEXT)");
  const insert = db.prepare("INSERT OR REPLACE INTO records VALUES (?, ?)");
  const commit = db.transaction((batch: unknown[]) => {
    for (const value of batch) insert.run((value as { id: string }).id, JSON.stringify(value));
  });
  const write = groupCommit(async (batch) => commit(batch));
  const result = await timed((index) => write(record(index)));
  db.close();
  return result;
}

const candidates: Array<[string, (directory: string) => Promise<number>]> = [
  ["journal (src/engine/store)", journal],
  ["classic-level 3 (LevelDB), batch sync", classicLevel],
];
const sqlitePath = process.env.BETTER_SQLITE3;
if (sqlitePath)
  candidates.push(["better-sqlite3 12, WAL synchronous=FULL", (d) => betterSqlite(d, sqlitePath)]);

console.log(
  `store candidates: ${WRITES} durable writes @${CONCURRENCY}, Node ${process.version}, median of 3`,
);
for (const [name, run] of candidates) {
  const results: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const directory = await mkdtemp(join(tmpdir(), "store-candidate-"));
    try {
      results.push(await run(directory));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
  results.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(42)} ${results[1]} writes/s (${results[0]}–${results[2]})`);
}
