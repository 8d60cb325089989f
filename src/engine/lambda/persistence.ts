import { createHash } from "node:crypto";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { DirectorySyncer } from "../store/fsync.ts";
import type { DurableStore } from "../store/index.ts";
import type { Journal } from "../store/journal.ts";
import type { EventInvokeConfig } from "./event-invoke-config.ts";
import type { FunctionSettings } from "./functions.ts";
import type { PolicyStatement } from "./policy.ts";
import type { FunctionAlias, PublishedVersion } from "./versions.ts";

/** A published version as kept: its snapshot, with its code named by `CodeSha256` (base64). */
type StoredVersion = Omit<PublishedVersion, "code" | "deployment"> & { codeSha256: string };

/**
 * What is kept of a function: its settings, revision, resource policy, event-invoke configuration, versions and
 * aliases. Settings added later (architecture, ephemeral storage, tracing) are optional here: a data dir written
 * before them loads with their defaults.
 */
export interface StoredFunction
  extends Omit<FunctionSettings, "architecture" | "ephemeralStorage" | "tracingMode">,
    Partial<Pick<FunctionSettings, "architecture" | "ephemeralStorage" | "tracingMode">> {
  name: string;
  lastModified: string;
  revisionId: string;
  policy: PolicyStatement[];
  eventInvokeConfig?: EventInvokeConfig;
  versions?: StoredVersion[];
  nextVersion?: number;
  aliases?: FunctionAlias[];
}

/** A function and the code files (`code/<sha256 hex>.zip`, `size` bytes) its record and versions name. */
export interface StoredFunctionRecord {
  t: "function";
  fn: StoredFunction;
  code: { sha256Hex: string; size: number };
  versionCode?: Array<{ sha256Hex: string; size: number }>;
}

type FunctionJournalRecord = StoredFunctionRecord | { t: "deleteFunction"; name: string };

/**
 * Lambda's durable state in the persistence layer (`<dataDir>/lambda/journal.log`): one record per change of a
 * function. Code zips stay files, content-addressed under `<dataDir>/lambda/code/`, each written and fsynced
 * before the record that names it is appended; the store's `track` makes every answer wait for both.
 */
export class FunctionJournal {
  readonly #durable: DurableStore;
  readonly #journal: Journal<FunctionJournalRecord>;
  readonly #codeDirectory: string;
  readonly #syncer: DirectorySyncer;
  /** The live records, by function name: the journal's compacted form. */
  readonly #live: Map<string, StoredFunctionRecord>;
  /** Last pending write per function, so a later change never lands before an earlier one. */
  readonly #writes = new Map<string, Promise<void>>();

  private constructor(
    durable: DurableStore,
    journal: Journal<FunctionJournalRecord>,
    live: Map<string, StoredFunctionRecord>,
  ) {
    this.#durable = durable;
    this.#journal = journal;
    this.#live = live;
    this.#codeDirectory = codeDirectoryOf(durable.dataDir);
    this.#syncer = new DirectorySyncer(this.#codeDirectory);
  }

  /**
   * Replays the journal and checks that every code file it names exists with its recorded size (a missing or
   * short one refuses the start); code files no record names are removed.
   */
  static async open(durable: DurableStore): Promise<FunctionJournal> {
    const live = new Map<string, StoredFunctionRecord>();
    const journal = await durable.open<FunctionJournalRecord>(
      "lambda",
      (records) => {
        for (const record of records) {
          if (record.t === "function") live.set(record.fn.name, record);
          else live.delete(record.name);
        }
        return [...live.values()];
      },
      { live: () => [...live.values()], minAppends: 1_000 },
    );
    const functions = new FunctionJournal(durable, journal, live);
    await mkdir(functions.#codeDirectory, { recursive: true });
    const named = new Set<string>();
    for (const record of live.values()) {
      for (const code of codeFilesOf(record)) named.add(`${code.sha256Hex}.zip`);
      const [problem] = await codeProblems(functions.#codeDirectory, record);
      if (problem) {
        await journal.close();
        throw durable.damaged(
          `the code of function ${record.fn.name} (${problem.path}) named by ${durable.path("lambda")} is ${problem.found === undefined ? "missing" : `${problem.found} bytes, ${problem.size} recorded`}`,
        );
      }
    }
    for (const name of await readdir(functions.#codeDirectory)) {
      if (!named.has(name)) await unlink(join(functions.#codeDirectory, name)).catch(() => undefined);
    }
    return functions;
  }

  /** The functions to restore, as last stored. */
  stored(): StoredFunctionRecord[] {
    return [...this.#live.values()];
  }

  codePath(record: StoredFunctionRecord): string {
    return join(this.#codeDirectory, `${record.code.sha256Hex}.zip`);
  }

  /** The code file of a version's `CodeSha256` (base64). */
  versionCodePath(codeSha256: string): string {
    return join(this.#codeDirectory, `${Buffer.from(codeSha256, "base64").toString("hex")}.zip`);
  }

  /**
   * Stores a function's state, its code and its versions' code; requests answered after this call wait until
   * all are durable.
   */
  save(fn: StoredFunction, zip: Buffer, versionZips: readonly Buffer[] = []): void {
    const named = (code: Buffer) => ({
      sha256Hex: createHash("sha256").update(code).digest("hex"),
      size: code.length,
    });
    const distinct = [...new Map(versionZips.map((code) => [named(code).sha256Hex, code])).values()];
    const record: StoredFunctionRecord = {
      t: "function",
      fn: structuredClone(fn),
      code: named(zip),
      ...(distinct.length > 0 ? { versionCode: distinct.map(named) } : {}),
    };
    this.#live.set(fn.name, record);
    this.#chain(fn.name, async () => {
      await this.#writeCode(this.codePath(record), zip);
      for (const code of distinct)
        await this.#writeCode(join(this.#codeDirectory, `${named(code).sha256Hex}.zip`), code);
      await this.#journal.append(record);
    });
  }

  /** Removes a function; its code file goes at the next start. */
  remove(name: string): void {
    this.#live.delete(name);
    this.#chain(name, () => this.#journal.append({ t: "deleteFunction", name }));
  }

  /** Resolves once every pending write is done (called on shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writes.values()].map((write) => write.catch(() => undefined)));
  }

  #chain(name: string, step: () => Promise<void>): void {
    const previous = this.#writes.get(name) ?? Promise.resolve();
    const write = this.#durable.track(previous.catch(() => undefined).then(step));
    this.#writes.set(name, write);
    const forget = () => {
      if (this.#writes.get(name) === write) this.#writes.delete(name);
    };
    write.then(forget, forget);
  }

  /** Writes a code file (content-addressed: an existing one of the right size is kept) and fsyncs it. */
  async #writeCode(path: string, zip: Buffer): Promise<void> {
    const existing = await stat(path).then(
      (found) => found.size,
      () => undefined,
    );
    if (existing === zip.length) return;
    const temporary = `${path}.${process.pid}.tmp`;
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(zip);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await this.#syncer.sync();
  }
}

/** Where the code zips of a data directory live: the start's check, the writes and the repair read the same place. */
function codeDirectoryOf(dataDir: string): string {
  return join(dataDir, "lambda", "code");
}

interface CodeFile {
  sha256Hex: string;
  size: number;
}

/** The code files a record names: $LATEST's, then its versions'. */
function codeFilesOf(record: StoredFunctionRecord): CodeFile[] {
  return [record.code, ...(record.versionCode ?? [])];
}

/** The code files of `record` that are missing or not of their recorded size (`found`: the size on disk). */
async function codeProblems(
  codeDirectory: string,
  record: StoredFunctionRecord,
): Promise<Array<CodeFile & { path: string; found: number | undefined }>> {
  const problems: Array<CodeFile & { path: string; found: number | undefined }> = [];
  for (const code of codeFilesOf(record)) {
    const path = join(codeDirectory, `${code.sha256Hex}.zip`);
    const found = await stat(path).then(
      (file) => file.size,
      () => undefined,
    );
    if (found !== code.size) problems.push({ ...code, path, found });
  }
  return problems;
}

/**
 * `pipeline repair`'s pass over Lambda's journal (the check that refuses the start, applied): a function whose
 * $LATEST code file is missing or short is dropped; otherwise only the versions whose code file is, with the
 * aliases that route to one of them. Version numbers are not given again (`nextVersion` is kept).
 */
export async function keepIntactFunctions(
  dataDir: string,
  records: unknown[],
): Promise<{ records: unknown[]; lost: string[] }> {
  const codeDirectory = codeDirectoryOf(dataDir);
  const live = new Map<string, StoredFunctionRecord>();
  for (const record of records as FunctionJournalRecord[]) {
    if (record.t === "function") live.set(record.fn.name, record);
    else live.delete(record.name);
  }
  const lost: string[] = [];
  for (const [name, record] of [...live]) {
    const problems = await codeProblems(codeDirectory, record);
    if (problems.length === 0) continue;
    const latest = problems.find((problem) => problem.sha256Hex === record.code.sha256Hex);
    if (latest) {
      live.delete(name);
      lost.push(`Lambda function ${name}: its code file ${latest.path} is missing or short`);
      continue;
    }
    const missing = new Map(problems.map((problem) => [problem.sha256Hex, problem.path]));
    const hexOf = (codeSha256: string) => Buffer.from(codeSha256, "base64").toString("hex");
    const dropped = new Set<string>();
    const versions = (record.fn.versions ?? []).filter((version) => {
      const path = missing.get(hexOf(version.codeSha256));
      if (path === undefined) return true;
      dropped.add(version.version);
      lost.push(
        `Lambda function ${name} version ${version.version}: its code file ${path} is missing or short`,
      );
      return false;
    });
    const aliases = (record.fn.aliases ?? []).filter((alias) => {
      const gone = [alias.functionVersion, alias.routing?.version].find(
        (version) => version !== undefined && dropped.has(version),
      );
      if (gone === undefined) return true;
      lost.push(
        `Lambda function ${name} alias ${alias.name}: it routes to version ${gone}, which was dropped`,
      );
      return false;
    });
    const kept = new Set(versions.map((version) => hexOf(version.codeSha256)));
    const versionCode = (record.versionCode ?? []).filter((code) => kept.has(code.sha256Hex));
    const { versionCode: _dropped, ...rest } = record;
    live.set(name, {
      ...rest,
      fn: { ...record.fn, versions, aliases, nextVersion: record.fn.nextVersion ?? nextVersionAfter(record) },
      ...(versionCode.length > 0 ? { versionCode } : {}),
    });
  }
  return { records: lost.length > 0 ? [...live.values()] : records, lost };
}

/** The number after the highest version a record ever had (a record written before `nextVersion` was kept). */
function nextVersionAfter(record: StoredFunctionRecord): number {
  return Math.max(0, ...(record.fn.versions ?? []).map((version) => Number(version.version))) + 1;
}
