import { existsSync } from "node:fs";
import { cp, mkdir, open, rename } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { engineServices } from "./registry.ts";
import type { ServiceRegistry } from "./service/registry.ts";
import { syncDirectory } from "./store/fsync.ts";
import { journalPath, type ServiceStorage } from "./store/index.ts";
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
 * records that still read, less those its service's own check drops (S3 versions and Lambda code whose files are
 * missing or short), and a LevelDB store (DynamoDB's) is rebuilt from what its files still hold. What each service
 * keeps is its section's `storage` (`services`: the engine's). The report says what was kept and lost.
 */
export async function repairStore(
  dataDir: string,
  services: ServiceRegistry = engineServices,
): Promise<RepairReport> {
  // A running engine holds the data directory (its lock, store/level.ts): repairing under it would rewrite journals
  // it appends to and rebuild a database it has open. Taken before anything is read or moved, held until done.
  const lock = existsSync(dataDir) ? await lockDataDir(dataDir) : undefined;
  try {
    return await repairUnlocked(dataDir, services);
  } finally {
    await lock?.release();
  }
}

async function repairUnlocked(dataDir: string, services: ServiceRegistry): Promise<RepairReport> {
  const storages = services.sections.flatMap((section) => (section.storage ? [section.storage] : []));
  // An engine from before the data directory's lock holds only its LevelDB stores locked: refused too. Each is
  // checked (one full read) before anything is moved.
  const levels: Array<{ path: string; problem: LevelStoreProblem | undefined }> = [];
  for (const storage of storages.filter((candidate) => candidate.level)) {
    const path = join(dataDir, storage.directory);
    const problem = await checkLevelStore(path);
    if (problem?.locked) throw levelStoreInUse(dataDir, path, problem);
    levels.push({ path, problem });
  }
  const keptIn = join(dataDir, `damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  const aside = new Aside(dataDir, keptIn);
  const entries: RepairEntry[] = [];
  for (const storage of storages) {
    const entry = storage.journal && (await repairJournal(dataDir, storage, storage.journal, aside));
    if (entry) entries.push(entry);
  }
  for (const { path, problem } of levels) {
    const entry = await repairLevel(path, problem, aside);
    if (entry) entries.push(entry);
  }
  return { dataDir, keptIn: aside.used ? keptIn : undefined, entries };
}

/** Moves files into the keep folder, at their path relative to the data directory. */
class Aside {
  used = false;
  readonly dataDir: string;
  readonly folder: string;

  constructor(dataDir: string, folder: string) {
    this.dataDir = dataDir;
    this.folder = folder;
  }

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
  storage: ServiceStorage,
  journal: NonNullable<ServiceStorage["journal"]>,
  aside: Aside,
): Promise<RepairEntry | undefined> {
  const path = journalPath(dataDir, storage.directory);
  if (!existsSync(path)) return undefined;
  const contents = await readJournal<unknown>(path);
  const lost = contents.damaged.map(
    (range) => `${range.bytes} byte(s) at byte ${range.offset}: a damaged record that could not be read`,
  );
  if (contents.tornTail)
    lost.push(`${contents.tornBytes} byte(s) at the end: a torn tail (never acknowledged)`);
  let records = contents.records;
  if (journal.keepIntact) {
    const kept = await journal.keepIntact(dataDir, records);
    lost.push(...kept.lost);
    records = kept.records;
  }
  if (lost.length === 0) return { file: path, status: "intact", recovered: records.length, lost };
  await aside.move(path);
  await writeJournal(path, records);
  return { file: path, status: "repaired", recovered: records.length, lost };
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
async function repairLevel(
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
