import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal, parseJournal } from "../../src/engine/s3/storage/journal.ts";

interface Entry {
  n: number;
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
      expect(contents).toEqual({ records: [], damagedLines: 0, tornTail: false });
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
      tornTail: true,
    });
  });

  it("skips damaged lines in the middle and keeps later records", () => {
    const text = `${lines[0]}\ngarbage\n${lines[2]}\n`;
    expect(parseJournal<Entry>(text)).toEqual({
      records: [{ n: 1 }, { n: 3 }],
      damagedLines: 1,
      tornTail: false,
    });
  });

  it("reads an empty journal", () => {
    expect(parseJournal("")).toEqual({ records: [], damagedLines: 0, tornTail: false });
  });
});
