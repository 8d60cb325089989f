import { randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { lambdaFunctionArn } from "../arn.ts";
import { type CodePackage, readCodePackage, unpackCodePackage } from "./code-package.ts";
import type { Deployment } from "./environment.ts";
import type { EventInvokeConfig } from "./event-invoke-config.ts";
import { logGroupName } from "./function-logs.ts";
import type { FunctionJournal } from "./persistence.ts";
import type { PolicyStatement } from "./policy.ts";
import {
  type FunctionAlias,
  type PublishedVersion,
  versionDeployment,
  versionToPublish,
} from "./versions.ts";

/** The settings of a function that `UpdateFunctionConfiguration` may change. */
export interface FunctionSettings {
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, string>;
  /** DeadLetterConfig.TargetArn: where a failed asynchronous event goes; empty or absent for none. */
  deadLetterTargetArn?: string;
  /** `Architectures[0]`: kept and reported; the code runs on the host's architecture (see index.ts). */
  architecture: "x86_64" | "arm64";
  /** `EphemeralStorage.Size` in MB (512..10240): kept and reported; /tmp is the host's. */
  ephemeralStorage: number;
  /** `TracingConfig.Mode`: kept and reported; the engine sends no traces. */
  tracingMode: "Active" | "PassThrough";
  /** The function's tags (CreateFunction `Tags`), answered by GetFunction. */
  tags?: Record<string, string>;
}

export interface CodeVersion {
  zip: Buffer;
  sha256: string;
  size: number;
  directory: string;
}

/** Everything the service knows about one function. */
export interface FunctionRecord extends FunctionSettings {
  name: string;
  arn: string;
  code: CodeVersion;
  lastModified: string;
  revisionId: string;
  state: "Pending" | "Active" | "Failed";
  stateReason?: string;
  stateReasonCode?: string;
  lastUpdateStatus: "InProgress" | "Successful" | "Failed";
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: string;
  policy: PolicyStatement[];
  /** Retries, maximum event age and destinations of asynchronous invocations. */
  eventInvokeConfig?: EventInvokeConfig;
  /** What new invocations run; undefined until the first code version is unpacked. */
  deployment: Deployment | undefined;
  /** Published versions, oldest first (versions.ts). */
  versions: PublishedVersion[];
  /** The number the next published version gets (numbers are never reused, as on AWS). */
  nextVersion: number;
  aliases: FunctionAlias[];
}

/** Persisted form of a record (the zip is stored next to it). */
/** `2026-11-25T12:00:00.000+0000`, Lambda's `LastModified` format. */
function lambdaTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace("Z", "+0000");
}

/**
 * The functions of the engine: configuration, code versions unpacked on disk, resource policies, and the
 * Pending → Active / InProgress → Successful life cycle that waiters poll.
 */
export class FunctionStore {
  readonly #functions = new Map<string, FunctionRecord>();
  readonly #region: string;
  readonly #accountId: string;
  readonly #codeRoot: () => string;
  readonly #persistence: FunctionJournal | undefined;
  readonly #onDeployment: (record: FunctionRecord) => void;
  readonly #log: (message: string) => void;
  readonly #readiness = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  constructor(options: {
    region: string;
    accountId: string;
    /** Temporary directory that holds unpacked code versions (created on first call). */
    codeRoot(): string;
    /** Where functions are kept when state persists. */
    persistence: FunctionJournal | undefined;
    /** Called whenever a function's current deployment changes (new code or configuration). */
    onDeployment(record: FunctionRecord): void;
    log(message: string): void;
  }) {
    this.#region = options.region;
    this.#accountId = options.accountId;
    this.#codeRoot = options.codeRoot;
    this.#persistence = options.persistence;
    this.#onDeployment = options.onDeployment;
    this.#log = options.log;
  }

  get(name: string): FunctionRecord | undefined {
    return this.#functions.get(name);
  }

  list(): FunctionRecord[] {
    return [...this.#functions.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Registers a new function in state Pending; it turns Active once its code is unpacked, which `unpacked`
   * resolves on (callers answer only then, so a waiter's first poll already sees Active).
   */
  create(
    name: string,
    settings: FunctionSettings,
    pkg: CodePackage,
  ): { record: FunctionRecord; unpacked: Promise<void> } {
    const record: FunctionRecord = {
      ...settings,
      name,
      arn: lambdaFunctionArn(this.#region, this.#accountId, name),
      code: this.#codeVersion(name, pkg),
      lastModified: lambdaTimestamp(),
      revisionId: randomUUID(),
      state: "Pending",
      stateReason: "The function is being created.",
      stateReasonCode: "Creating",
      lastUpdateStatus: "Successful",
      policy: [],
      deployment: undefined,
      versions: [],
      nextVersion: 1,
      aliases: [],
    };
    this.#functions.set(name, record);
    return { record, unpacked: this.#deploy(record, pkg, "create") };
  }

  /** Replaces the code; LastUpdateStatus is InProgress until the new version is unpacked. */
  updateCode(record: FunctionRecord, pkg: CodePackage): Promise<void> {
    record.code = this.#codeVersion(record.name, pkg);
    this.#markUpdating(record);
    return this.#deploy(record, pkg, "update");
  }

  /** Applies new settings; the next invocations run in fresh environments. */
  updateSettings(record: FunctionRecord, settings: Partial<FunctionSettings>): void {
    Object.assign(record, settings);
    this.#markUpdating(record);
    // Kept now, before the answer; the activation below changes only the life-cycle state, which is not kept.
    this.#persist(record);
    // Nothing to unpack, but stay InProgress for a moment so clients see the same life cycle as on AWS.
    setImmediate(() => {
      if (this.#functions.get(record.name) !== record) return;
      this.#activate(record);
    });
  }

  /** Sets or (undefined) removes the function's event-invoke configuration; the configuration has no revision. */
  setEventInvokeConfig(record: FunctionRecord, config: EventInvokeConfig | undefined): void {
    if (config) record.eventInvokeConfig = config;
    else delete record.eventInvokeConfig;
    this.#persist(record);
  }

  /** Records a change that only touches the policy (new RevisionId, as on AWS). */
  touch(record: FunctionRecord): void {
    record.revisionId = randomUUID();
    this.#persist(record);
  }

  delete(record: FunctionRecord): void {
    this.#functions.delete(record.name);
    this.#readiness.get(record.name)?.resolve();
    this.#readiness.delete(record.name);
    for (const code of new Set([record.code, ...record.versions.map((version) => version.code)]))
      this.#removeCode(code);
    this.#persistence?.remove(record.name);
  }

  /**
   * Publishes $LATEST as a new version, or answers the last one when nothing changed since (versions.ts); the
   * caller has checked that $LATEST is Active and not being updated.
   */
  publish(
    record: FunctionRecord,
    description: string | undefined,
  ): { version: PublishedVersion; created: boolean } {
    const result = versionToPublish(record, description, lambdaTimestamp());
    if (!result.created) return result;
    record.versions.push(result.version);
    record.nextVersion += 1;
    // Publishing changes $LATEST's RevisionId on AWS too (LocalStack bumps it the same way).
    record.revisionId = randomUUID();
    this.#persist(record);
    return result;
  }

  /** Removes a published version; its unpacked code goes unless $LATEST or another version runs it. */
  deleteVersion(record: FunctionRecord, version: PublishedVersion): void {
    record.versions = record.versions.filter((candidate) => candidate !== version);
    const inUse = [record.code, ...record.versions.map((candidate) => candidate.code)].some(
      (code) => code.directory === version.code.directory,
    );
    if (!inUse) this.#removeCode(version.code);
    this.#persist(record);
  }

  /** Keeps a change that has no RevisionId of the function's own (aliases). */
  keep(record: FunctionRecord): void {
    this.#persist(record);
  }

  /** Removes an unpacked code version nobody runs any more (its environments are killed by the runner). */
  #removeCode(code: CodeVersion): void {
    rm(code.directory, { recursive: true, force: true }).catch((error: unknown) =>
      this.#log(`lambda: could not remove unpacked code ${code.directory}: ${String(error)}`),
    );
  }

  /** Resolves once the function has a runnable deployment (or is gone). */
  whenDeployed(name: string): Promise<void> {
    const record = this.#functions.get(name);
    if (!record || record.deployment) return Promise.resolve();
    return this.#readinessOf(name).promise;
  }

  #readinessOf(name: string): { promise: Promise<void>; resolve: () => void } {
    let entry = this.#readiness.get(name);
    if (!entry) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      entry = { promise, resolve };
      this.#readiness.set(name, entry);
    }
    return entry;
  }

  #codeVersion(name: string, pkg: CodePackage): CodeVersion {
    const shaHex = Buffer.from(pkg.sha256, "base64").toString("hex").slice(0, 16);
    return {
      zip: pkg.zip,
      sha256: pkg.sha256,
      size: pkg.size,
      directory: join(this.#codeRoot(), `${name}-${shaHex}`),
    };
  }

  #markUpdating(record: FunctionRecord): void {
    record.lastModified = lambdaTimestamp();
    record.revisionId = randomUUID();
    record.lastUpdateStatus = "InProgress";
    record.lastUpdateStatusReason = "The function is being created.";
    record.lastUpdateStatusReasonCode = "Creating";
  }

  #deploy(record: FunctionRecord, pkg: CodePackage, phase: "create" | "update"): Promise<void> {
    const code = record.code;
    return unpackCodePackage(pkg, code.directory).then(
      () => {
        // A newer update may have replaced the code meanwhile; only the latest version activates. A function
        // deleted while its code was unpacking leaves nothing behind.
        if (this.#functions.get(record.name) !== record) return this.#removeCode(code);
        if (record.code !== code) return;
        this.#activate(record);
      },
      (error: unknown) => {
        if (this.#functions.get(record.name) !== record || record.code !== code) return;
        this.#log(`lambda: could not unpack code of ${record.name}: ${String(error)}`);
        if (phase === "create") {
          record.state = "Failed";
          record.stateReason = `Could not unpack the deployment package: ${String(error)}`;
          record.stateReasonCode = "InvalidZipFileException";
        } else {
          record.lastUpdateStatus = "Failed";
          record.lastUpdateStatusReason = `Could not unpack the deployment package: ${String(error)}`;
          record.lastUpdateStatusReasonCode = "InvalidZipFileException";
        }
      },
    );
  }

  #activate(record: FunctionRecord): void {
    record.state = "Active";
    delete record.stateReason;
    delete record.stateReasonCode;
    record.lastUpdateStatus = "Successful";
    delete record.lastUpdateStatusReason;
    delete record.lastUpdateStatusReasonCode;
    record.deployment = {
      id: record.revisionId,
      functionName: record.name,
      functionArn: record.arn,
      runtime: record.runtime,
      handler: record.handler,
      codeDirectory: record.code.directory,
      codeSha256: record.code.sha256,
      timeoutSeconds: record.timeout,
      memorySizeMb: record.memorySize,
      roleArn: record.role,
      environment: { ...record.environment },
    };
    // A version published before its code was unpacked (after a restart) runs once it is.
    for (const version of record.versions)
      if (!version.deployment && version.code.directory === record.code.directory)
        version.deployment = versionDeployment(record, version);
    this.#readiness.get(record.name)?.resolve();
    this.#readiness.delete(record.name);
    this.#persist(record);
    this.#onDeployment(record);
  }

  #persist(record: FunctionRecord): void {
    this.#persistence?.save(
      {
        name: record.name,
        runtime: record.runtime,
        role: record.role,
        handler: record.handler,
        description: record.description,
        timeout: record.timeout,
        memorySize: record.memorySize,
        environment: record.environment,
        ...(record.deadLetterTargetArn ? { deadLetterTargetArn: record.deadLetterTargetArn } : {}),
        architecture: record.architecture,
        ephemeralStorage: record.ephemeralStorage,
        tracingMode: record.tracingMode,
        ...(record.tags ? { tags: record.tags } : {}),
        lastModified: record.lastModified,
        revisionId: record.revisionId,
        policy: record.policy,
        ...(record.eventInvokeConfig ? { eventInvokeConfig: record.eventInvokeConfig } : {}),
        versions: record.versions.map(({ code, deployment: _deployment, ...version }) => ({
          ...version,
          codeSha256: code.sha256,
        })),
        nextVersion: record.nextVersion,
        aliases: record.aliases,
      },
      record.code.zip,
      record.versions.map((version) => version.code.zip),
    );
  }

  /** Resolves once every pending write to the data directory is done (called on shutdown). */
  async flush(): Promise<void> {
    await this.#persistence?.flush();
  }

  /** Restores the persisted functions; each starts Pending and turns Active when unpacked. */
  async load(): Promise<void> {
    for (const stored of this.#persistence?.stored() ?? []) {
      const pkg = await readCodePackage(await readFile(this.#persistence?.codePath(stored) ?? ""));
      const { record } = this.create(stored.fn.name, withDefaults(stored.fn), pkg);
      record.lastModified = stored.fn.lastModified;
      record.revisionId = stored.fn.revisionId;
      record.policy = stored.fn.policy ?? [];
      if (stored.fn.eventInvokeConfig) record.eventInvokeConfig = stored.fn.eventInvokeConfig;
      record.nextVersion = stored.fn.nextVersion ?? 1;
      record.aliases = stored.fn.aliases ?? [];
      for (const { codeSha256, ...version } of stored.fn.versions ?? []) {
        const code =
          codeSha256 === record.code.sha256
            ? record.code
            : this.#codeVersion(
                record.name,
                await readCodePackage(await readFile(this.#persistence?.versionCodePath(codeSha256) ?? "")),
              );
        const restored: PublishedVersion = { ...withDefaults(version), code, deployment: undefined };
        record.versions.push(restored);
        if (code !== record.code) await this.#unpackVersion(record, restored);
        // $LATEST's code may be unpacked already (its activation then found no versions to bind).
        else if (record.deployment) restored.deployment = versionDeployment(record, restored);
      }
    }
  }

  /** Unpacks a restored version's own code (not $LATEST's) and makes it runnable. */
  async #unpackVersion(record: FunctionRecord, version: PublishedVersion): Promise<void> {
    await unpackCodePackage(await readCodePackage(version.code.zip), version.code.directory);
    version.deployment = versionDeployment(record, version);
  }
}

function lifeCycle(record: FunctionRecord): Record<string, unknown> {
  return {
    State: record.state,
    ...(record.stateReason ? { StateReason: record.stateReason } : {}),
    ...(record.stateReasonCode ? { StateReasonCode: record.stateReasonCode } : {}),
    LastUpdateStatus: record.lastUpdateStatus,
    ...(record.lastUpdateStatusReason ? { LastUpdateStatusReason: record.lastUpdateStatusReason } : {}),
    ...(record.lastUpdateStatusReasonCode
      ? { LastUpdateStatusReasonCode: record.lastUpdateStatusReasonCode }
      : {}),
  };
}

/** Settings persisted before they existed take their defaults (a data dir written by an older engine). */
function withDefaults<T extends Partial<FunctionSettings>>(
  stored: T,
): T & Pick<FunctionSettings, "architecture" | "ephemeralStorage" | "tracingMode"> {
  return { architecture: "x86_64", ephemeralStorage: 512, tracingMode: "PassThrough", ...stored };
}

/**
 * The `FunctionConfiguration` shape of the Lambda API: of $LATEST, or of a published `version`; `qualifier` (the
 * one the request named: `$LATEST`, a version or an alias) qualifies `FunctionArn` as Lambda does.
 */
export function renderConfiguration(
  record: FunctionRecord,
  view: { version?: PublishedVersion; qualifier?: string } = {},
): Record<string, unknown> {
  const source = view.version ?? record;
  return {
    FunctionName: record.name,
    FunctionArn: view.qualifier ? `${record.arn}:${view.qualifier}` : record.arn,
    Runtime: source.runtime,
    Role: source.role,
    Handler: source.handler,
    CodeSize: source.code.size,
    Description: source.description,
    Timeout: source.timeout,
    MemorySize: source.memorySize,
    LastModified: source.lastModified,
    CodeSha256: source.code.sha256,
    Version: view.version?.version ?? "$LATEST",
    ...(Object.keys(source.environment).length > 0 ? { Environment: { Variables: source.environment } } : {}),
    ...(source.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: source.deadLetterTargetArn } } : {}),
    TracingConfig: { Mode: source.tracingMode },
    RevisionId: source.revisionId,
    ...(view.version
      ? { State: view.version.deployment ? "Active" : "Pending", LastUpdateStatus: "Successful" }
      : lifeCycle(record)),
    PackageType: "Zip",
    Architectures: [source.architecture],
    EphemeralStorage: { Size: source.ephemeralStorage },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    LoggingConfig: { LogFormat: "Text", LogGroup: logGroupName(record.name) },
  };
}
