import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Journal,
  type JournalCompaction,
  JournalCompactionError,
  parseJournal,
} from "../../src/engine/store/journal.ts";

interface Entry {
  n: number;
}

/** A key/value state change: the last value of each key is the live state, like an S3 object overwrite. */
interface Put {
  k: string;
  v: number;
}

/** Replays puts into a key -> value map, in order. */
function replay(records: Put[], state = new Map<string, number>()): Map<string, number> {
  for (const record of records) state.set(record.k, record.v);
  return state;
}

const snapshotOf = (state: Map<string, number>): Put[] => [...state].map(([k, v]) => ({ k, v }));

/**
 * A journal of puts with its live state kept the way S3Store keeps it: each change is applied to the state
 * synchronously, then appended.
 */
async function openKeyValueJournal(
  path: string,
  compaction: Omit<JournalCompaction<Put>, "live"> = {},
  onSnapshot: () => void = () => undefined,
): Promise<{
  journal: Journal<Put>;
  state: Map<string, number>;
  put: (k: string, v: number) => Promise<void>;
}> {
  const state = new Map<string, number>();
  const { journal } = await Journal.open<Put>(path, (records) => snapshotOf(replay(records, state)), {
    live: () => {
      onSnapshot();
      return snapshotOf(state);
    },
    ...compaction,
  });
  const put = (k: string, v: number) => {
    state.set(k, v);
    return journal.append({ k, v });
  };
  return { journal, state, put };
}

async function fileRecords<T>(path: string): Promise<T[]> {
  return parseJournal<T>(await readFile(path, "utf8")).records;
}

/** Builds journal text the way Journal writes it, by appending through a real journal. */
async function journalText(directory: string, entries: Entry[]): Promise<string> {
  const path = join(directory, "build.log");
  const { journal } = await Journal.open<Entry>(path, () => []);
  await Promise.all(entries.map((entry) => journal.append(entry)));
  await journal.close();
  return readFile(path, "utf8");
}

describe("Class: Journal", () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "s3-journal-"));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe("Method: append", () => {
    it("group-commits concurrent appends in call order", async () => {
      // Prepare
      const path = join(directory, "journal.log");
      const { journal } = await Journal.open<Entry>(path, () => []);

      // Act
      await Promise.all(Array.from({ length: 50 }, (_, n) => journal.append({ n })));
      await journal.close();

      // Assess
      const { records, tornTail, damagedLines } = parseJournal<Entry>(await readFile(path, "utf8"));
      expect(records.map((record) => record.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      expect({ tornTail, damagedLines }).toEqual({ tornTail: false, damagedLines: 0 });
    });
  });

  describe("Method: open", () => {
    it("replays records, drops a torn tail and rewrites the file compacted", async () => {
      const path = join(directory, "journal.log");
      const text = await journalText(directory, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      await writeFile(path, `${text}deadbeef {"n":`);
      let replayed: Entry[] = [];

      const { journal, contents } = await Journal.open<Entry>(path, (records) => {
        replayed = records;
        return records.filter((record) => record.n !== 2);
      });
      await journal.append({ n: 4 });
      await journal.close();

      expect(replayed.map((record) => record.n)).toEqual([1, 2, 3]);
      expect(contents.tornTail).toBe(true);
      expect(parseJournal<Entry>(await readFile(path, "utf8")).records.map((record) => record.n)).toEqual([
        1, 3, 4,
      ]);
    });

    it("starts empty when there is no journal yet", async () => {
      const { journal, contents } = await Journal.open<Entry>(
        join(directory, "new.log"),
        (records) => records,
      );
      await journal.close();
      expect(contents).toEqual({ records: [], damagedLines: 0, damaged: [], tornTail: false, tornBytes: 0 });
    });

    it("refuses a journal with damage before valid records, and leaves the file as it was", async () => {
      const path = join(directory, "damaged.log");
      const text = (await journalText(directory, [{ n: 1 }, { n: 2 }, { n: 3 }])).replace('"n":2', '"n":7');
      await writeFile(path, text);
      const opened = Journal.open<Entry>(path, (records) => records);
      await expect(opened).rejects.toThrow(
        /damaged\.log: 1 damaged record\(s\) \(the first at byte 17, 17 bytes\)/,
      );
      expect(await readFile(path, "utf8")).toBe(text);
    });
  });

  describe("Method: compact", () => {
    it("keeps exactly the live records", async () => {
      // Prepare
      const path = join(directory, "journal.log");
      const { journal, state, put } = await openKeyValueJournal(path, {
        minAppends: Number.MAX_SAFE_INTEGER,
      });
      for (let v = 0; v < 30; v++) await put(`k${v % 3}`, v);
      expect(await fileRecords<Put>(path)).toHaveLength(30);

      // Act
      await journal.compact();

      // Assess
      expect(await fileRecords<Put>(path)).toEqual([
        { k: "k0", v: 27 },
        { k: "k1", v: 28 },
        { k: "k2", v: 29 },
      ]);
      expect(journal.size).toBe(3);
      expect(state.size).toBe(3);
      await journal.close();
    });

    it("lets appends made during a compaction all land, in order, and all resolve", async () => {
      // Prepare: once the snapshot is taken, ten more puts arrive while it is being written and swapped in.
      const path = join(directory, "journal.log");
      const order: string[] = [];
      let compacting = false;
      let after: Array<Promise<unknown>> = [];
      const issuedWhileCompacting: boolean[] = [];
      const { journal, state, put } = await openKeyValueJournal(
        path,
        { minAppends: Number.MAX_SAFE_INTEGER },
        () => {
          compacting = true;
          setImmediate(() => {
            after = Array.from({ length: 10 }, (_, i) => {
              issuedWhileCompacting.push(compacting);
              return put(`after${i % 2}`, 100 + i).then(() => order.push(`a${i}`));
            });
          });
        },
      );
      await Promise.all(Array.from({ length: 20 }, (_, v) => put(`k${v % 4}`, v)));

      // Act: puts queued before the compaction request are taken into the snapshot.
      const before = Array.from({ length: 10 }, (_, i) =>
        put(`before${i}`, i).then(() => order.push(`b${i}`)),
      );
      await journal.compact().then(() => {
        compacting = false;
        order.push("compact");
      });
      await Promise.all([...before, ...after]);
      await journal.close();

      // Assess: every put resolved once durable, in call order around the compaction.
      expect(issuedWhileCompacting).toEqual(Array.from({ length: 10 }, () => true));
      expect(order).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `b${i}`),
        "compact",
        ...Array.from({ length: 10 }, (_, i) => `a${i}`),
      ]);
      const records = await fileRecords<Put>(path);
      // The snapshot holds the four keys and the ten "before" puts; the later puts follow it, in order.
      expect(replay(records.slice(0, 14))).toEqual(
        new Map([
          ["k0", 16],
          ["k1", 17],
          ["k2", 18],
          ["k3", 19],
          ...Array.from({ length: 10 }, (_, i): [string, number] => [`before${i}`, i]),
        ]),
      );
      expect(records.slice(14)).toEqual(
        Array.from({ length: 10 }, (_, i) => ({ k: `after${i % 2}`, v: 100 + i })),
      );
      expect(replay(records)).toEqual(state);
    });

    it("compacts by itself once appends exceed max(floor, 2 x live records)", async () => {
      // Prepare
      const path = join(directory, "journal.log");
      const compacted: number[] = [];
      const { journal, state, put } = await openKeyValueJournal(path, {
        minAppends: 50,
        onCompacted: (records) => compacted.push(records),
      });

      // Act: 1,000 overwrites of 5 keys, 10 at a time.
      let largest = 0;
      for (let round = 0; round < 100; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => put(`k${i % 5}`, round * 10 + i)));
        largest = Math.max(largest, (await fileRecords<Put>(path)).length);
      }
      await journal.close();

      // Assess: compacted about every 50 appends, so the file never held more than 5 + 50 + one batch.
      expect(compacted.length).toBeGreaterThanOrEqual(15);
      expect(compacted.every((records) => records === 5)).toBe(true);
      expect(largest).toBeLessThanOrEqual(5 + 50 + 10);
      expect(replay(await fileRecords<Put>(path))).toEqual(state);
    });

    it("leaves a state that reopens identically", async () => {
      // Prepare
      const path = join(directory, "journal.log");
      const first = await openKeyValueJournal(path, { minAppends: 7 });
      await Promise.all(Array.from({ length: 200 }, (_, v) => first.put(`k${v % 13}`, v)));
      await first.journal.compact();
      await Promise.all(Array.from({ length: 5 }, (_, v) => first.put(`k${v}`, 1000 + v)));
      await first.journal.close();

      // Act
      const second = await openKeyValueJournal(path);
      await second.journal.close();

      // Assess
      expect(second.state).toEqual(first.state);
      expect(second.state.get("k0")).toBe(1000);
      expect(second.state.get("k12")).toBe(194);
    });

    it("drops a torn tail written after a compaction and keeps everything before it", async () => {
      // Prepare
      const path = join(directory, "journal.log");
      const first = await openKeyValueJournal(path, { minAppends: Number.MAX_SAFE_INTEGER });
      await Promise.all(Array.from({ length: 40 }, (_, v) => first.put(`k${v % 4}`, v)));
      await first.journal.compact();
      await first.put("k0", 500);
      await first.journal.close();
      await appendFile(path, 'deadbeef {"k":"k1","v":');

      // Act
      const { contents, journal } = await Journal.open<Put>(path, (records) => records);
      await journal.close();

      // Assess
      expect(contents.tornTail).toBe(true);
      expect(contents.damagedLines).toBe(0);
      expect(replay(contents.records)).toEqual(first.state);
    });

    it("keeps the old journal in use when compaction fails, reports it once and loses no append", async () => {
      // Prepare: a directory where the snapshot file goes makes every later compaction fail.
      const path = join(directory, "journal.log");
      const errors: JournalCompactionError[] = [];
      const { journal, state, put } = await openKeyValueJournal(path, {
        minAppends: 10,
        onError: (error) => errors.push(error),
      });
      await mkdir(`${path}.tmp`);

      // Act: enough appends for several automatic attempts, then an explicit one.
      await Promise.all(Array.from({ length: 100 }, (_, v) => put(`k${v % 3}`, v)));
      const explicit = await journal.compact().then(
        () => undefined,
        (error: unknown) => error,
      );
      await put("k0", 999);
      await journal.close();

      // Assess
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(JournalCompactionError);
      expect(explicit).toBeInstanceOf(JournalCompactionError);
      const records = await fileRecords<Put>(path);
      expect(records).toHaveLength(101);
      expect(replay(records)).toEqual(state);
    });
  });
});

describe("Function: parseJournal", () => {
  let directory: string;
  let lines: string[];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "s3-journal-"));
    lines = (await journalText(directory, [{ n: 1 }, { n: 2 }, { n: 3 }])).split("\n").filter(Boolean);
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("treats a complete but corrupt last line as a torn tail", () => {
    const text = `${lines[0]}\n${lines[1]}\n${(lines[2] as string).replace('"n":3', '"n":9')}\n`;
    expect(parseJournal<Entry>(text)).toEqual({
      records: [{ n: 1 }, { n: 2 }],
      damagedLines: 0,
      damaged: [],
      tornTail: true,
      tornBytes: 17,
    });
  });

  it("treats every bad line after the last valid one as the torn tail (a batch cut off, or zeros)", () => {
    const text = `${lines[0]}\n${"\0".repeat(30)}\n${(lines[2] as string).slice(0, 5)}`;
    expect(parseJournal<Entry>(text)).toMatchObject({ records: [{ n: 1 }], damagedLines: 0, tornBytes: 36 });
  });

  it("reports damaged lines in the middle with their offsets, and keeps later records for a repair", () => {
    const text = `${lines[0]}\ngarbage\n${lines[2]}\n`;
    expect(parseJournal<Entry>(text)).toEqual({
      records: [{ n: 1 }, { n: 3 }],
      damagedLines: 1,
      damaged: [{ offset: 17, bytes: 8 }],
      tornTail: false,
      tornBytes: 0,
    });
  });

  it("reads an empty journal", () => {
    expect(parseJournal("")).toEqual({
      records: [],
      damagedLines: 0,
      damaged: [],
      tornTail: false,
      tornBytes: 0,
    });
  });
});
