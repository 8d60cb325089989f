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
    this.#codeDirectory = join(durable.dataDir, "lambda", "code");
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
      for (const code of [record.code, ...(record.versionCode ?? [])]) {
        const path = join(functions.#codeDirectory, `${code.sha256Hex}.zip`);
        named.add(`${code.sha256Hex}.zip`);
        const size = await stat(path).then(
          (found) => found.size,
          () => undefined,
        );
        if (size !== code.size) {
          await journal.close();
          throw durable.damaged(
            `the code of function ${record.fn.name} (${path}) named by ${durable.path("lambda")} is ${size === undefined ? "missing" : `${size} bytes, ${code.size} recorded`}`,
          );
        }
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
