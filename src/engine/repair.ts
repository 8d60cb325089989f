import { existsSync } from "node:fs";
import { cp, mkdir, open, rename, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { StoredFunctionRecord } from "./lambda/persistence.ts";
import type { JournalRecord } from "./s3/storage/records.ts";
import { applyRecord, type BucketState, snapshotRecords } from "./s3/storage/store.ts";
import { syncDirectory } from "./store/fsync.ts";
import { JOURNAL_FILES, type JournalName } from "./store/index.ts";
import { encodeLine, readJournal } from "./store/journal.ts";
import {
  checkLevelStore,
  type LevelStoreProblem,
  levelStoreInUse,
  lockDataDir,
  repairLevelStore,
} from "./store/level.ts";

/** What `pipeline repair` did to one stored file. */
interface RepairEntry {
  file: string;
  status: "intact" | "repaired" | "not repaired";
  /** Records (or entries) read back and kept. */
  recovered: number;
  /** What was lost, one line each (empty when nothing was). */
  lost: string[];
}

export interface RepairReport {
  dataDir: string;
  /** Where damaged files were moved (kept, never deleted); undefined when nothing was damaged. */
  keptIn: string | undefined;
  entries: RepairEntry[];
}

/**
 * Repairs a `--persist` directory the engine refused to start on (the engine must be stopped). Every damaged file
 * is moved aside into `<dataDir>/damaged-<time>/` (kept, never deleted or shrunk); a journal is rewritten with the
 * records that still read, S3 versions and Lambda functions whose files are missing or short are dropped, and
 * DynamoDB's LevelDB store is rebuilt from what its files still hold. The report says what was kept and lost.
 */
export async function repairStore(dataDir: string): Promise<RepairReport> {
  // A running engine holds the data directory (its lock, store/level.ts): repairing under it would rewrite journals
  // it appends to and rebuild a database it has open. Taken before anything is read or moved, held until done.
  const lock = existsSync(dataDir) ? await lockDataDir(dataDir) : undefined;
  try {
    return await repairUnlocked(dataDir);
  } finally {
    await lock?.release();
  }
}

async function repairUnlocked(dataDir: string): Promise<RepairReport> {
  // An engine from before the data directory's lock holds only DynamoDB's LevelDB store locked: refused too. Checked
  // (one full read of the store) before anything is moved.
  const levelPath = join(dataDir, "dynamodb");
  const levelProblem = await checkLevelStore(levelPath);
  if (levelProblem?.locked) throw levelStoreInUse(dataDir, levelPath, levelProblem);
  const keptIn = join(dataDir, `damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  const aside = new Aside(dataDir, keptIn);
  const entries: RepairEntry[] = [];
  for (const name of Object.keys(JOURNAL_FILES) as JournalName[]) {
    const entry = await repairJournal(dataDir, name, aside);
    if (entry) entries.push(entry);
  }
  const dynamodb = await repairDynamoDb(levelPath, levelProblem, aside);
  if (dynamodb) entries.push(dynamodb);
  return { dataDir, keptIn: aside.used ? keptIn : undefined, entries };
}

/** Moves files into the keep folder, at their path relative to the data directory. */
class Aside {
  used = false;
  constructor(
    readonly dataDir: string,
    readonly folder: string,
  ) {}

  target(path: string): string {
    return join(this.folder, relative(this.dataDir, path));
  }

  async move(path: string): Promise<void> {
    const target = this.target(path);
    await mkdir(dirname(target), { recursive: true });
    await rename(path, target);
    this.used = true;
  }

  async copy(path: string): Promise<void> {
    const target = this.target(path);
    await mkdir(dirname(target), { recursive: true });
    await cp(path, target, { recursive: true });
    this.used = true;
  }
}

async function repairJournal(
  dataDir: string,
  name: JournalName,
  aside: Aside,
): Promise<RepairEntry | undefined> {
  const path = join(dataDir, JOURNAL_FILES[name]);
  if (!existsSync(path)) return undefined;
  const contents = await readJournal<unknown>(path);
  const lost = contents.damaged.map(
    (range) => `${range.bytes} byte(s) at byte ${range.offset}: a damaged record that could not be read`,
  );
  if (contents.tornTail)
    lost.push(`${contents.tornBytes} byte(s) at the end: a torn tail (never acknowledged)`);
  let records = contents.records;
  if (name === "s3") {
    const kept = await dropMissingBlobs(dataDir, records as JournalRecord[]);
    lost.push(...kept.lost);
    records = kept.records;
  } else if (name === "lambda") {
    const kept = await dropMissingCode(dataDir, records as LambdaRecord[]);
    lost.push(...kept.lost);
    records = kept.records;
  }
  if (lost.length === 0) return { file: path, status: "intact", recovered: records.length, lost };
  await aside.move(path);
  await writeJournal(path, records);
  return { file: path, status: "repaired", recovered: records.length, lost };
}

/** S3 state without the versions and upload parts whose blob files are missing or of the wrong size. */
async function dropMissingBlobs(
  dataDir: string,
  records: JournalRecord[],
): Promise<{ records: JournalRecord[]; lost: string[] }> {
  const buckets = new Map<string, BucketState>();
  for (const record of records) applyRecord(buckets, record);
  const blobs = join(dataDir, "s3", "blobs");
  const lost: string[] = [];
  const intact = async (blob: Array<{ id: string; size: number }>) => {
    for (const segment of blob) {
      const size = await stat(join(blobs, segment.id)).then(
        (found) => found.size,
        () => undefined,
      );
      if (size !== segment.size) return false;
    }
    return true;
  };
  for (const bucket of buckets.values()) {
    for (const [key, history] of [...bucket.versions]) {
      for (const entry of [...history]) {
        if ("deleteMarker" in entry || (await intact(entry.blob))) continue;
        bucket.removeVersion(key, entry.versionId ?? "null");
        lost.push(
          `s3://${bucket.name}/${key} (version ${entry.versionId ?? "null"}): its blob file is missing or short`,
        );
      }
    }
    for (const upload of bucket.uploads.values()) {
      for (const [number, part] of [...upload.parts]) {
        if (await intact(part.blob)) continue;
        upload.parts.delete(number);
        lost.push(
          `s3://${bucket.name}/${upload.key} upload ${upload.uploadId} part ${number}: its blob file is missing`,
        );
      }
    }
  }
  return { records: lost.length > 0 ? snapshotRecords(buckets) : records, lost };
}

type LambdaRecord = StoredFunctionRecord | { t: "deleteFunction"; name: string };

/** Lambda records without the functions whose code file is missing or of the wrong size. */
async function dropMissingCode(
  dataDir: string,
  records: LambdaRecord[],
): Promise<{ records: LambdaRecord[]; lost: string[] }> {
  const live = new Map<string, StoredFunctionRecord>();
  for (const record of records) {
    if (record.t === "function") live.set(record.fn.name, record);
    else live.delete(record.name);
  }
  const lost: string[] = [];
  for (const [name, record] of [...live]) {
    const path = join(dataDir, "lambda", "code", `${record.code.sha256Hex}.zip`);
    const size = await stat(path).then(
      (found) => found.size,
      () => undefined,
    );
    if (size === record.code.size) continue;
    live.delete(name);
    lost.push(`Lambda function ${name}: its code file ${path} is missing or short`);
  }
  return { records: lost.length > 0 ? [...live.values()] : records, lost };
}

/** Writes a fresh journal: temporary file, fsync, rename, directory fsync. */
async function writeJournal(path: string, records: unknown[]): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(records.map(encodeLine).join(""));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/** Rebuilds the LevelDB store at `path` when `found` (its check, already made) says it is damaged. */
async function repairDynamoDb(
  path: string,
  found: LevelStoreProblem | undefined,
  aside: Aside,
): Promise<RepairEntry | undefined> {
  if (!existsSync(path)) return undefined;
  const problem = found?.detail;
  if (!problem) return { file: path, status: "intact", recovered: 0, lost: [] };
  await aside.copy(path);
  await repairLevelStore(path);
  const after = (await checkLevelStore(path))?.detail;
  return {
    file: path,
    status: after ? "not repaired" : "repaired",
    recovered: 0,
    lost: [
      `the LevelDB store could not be read (${problem}); rebuilt from what its files hold (LevelDB RepairDB): items in damaged blocks are lost${after ? `; still unreadable: ${after}` : ""}`,
    ],
  };
}
