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
}

interface CodeVersion {
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
}

/** Persisted form of a record (the zip is stored next to it). */
/** `2026-11-25T12:00:00.000+0000`, Lambda's `LastModified` format. */
export function lambdaTimestamp(date: Date = new Date()): string {
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
    this.#removeCode(record.code);
    this.#persistence?.remove(record.name);
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
        lastModified: record.lastModified,
        revisionId: record.revisionId,
        policy: record.policy,
        ...(record.eventInvokeConfig ? { eventInvokeConfig: record.eventInvokeConfig } : {}),
      },
      record.code.zip,
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
      const { record } = this.create(stored.fn.name, stored.fn, pkg);
      record.lastModified = stored.fn.lastModified;
      record.revisionId = stored.fn.revisionId;
      record.policy = stored.fn.policy ?? [];
      if (stored.fn.eventInvokeConfig) record.eventInvokeConfig = stored.fn.eventInvokeConfig;
    }
  }
}

/** The `FunctionConfiguration` shape of the Lambda API. */
export function renderConfiguration(record: FunctionRecord): Record<string, unknown> {
  return {
    FunctionName: record.name,
    FunctionArn: record.arn,
    Runtime: record.runtime,
    Role: record.role,
    Handler: record.handler,
    CodeSize: record.code.size,
    Description: record.description,
    Timeout: record.timeout,
    MemorySize: record.memorySize,
    LastModified: record.lastModified,
    CodeSha256: record.code.sha256,
    Version: "$LATEST",
    ...(Object.keys(record.environment).length > 0 ? { Environment: { Variables: record.environment } } : {}),
    ...(record.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: record.deadLetterTargetArn } } : {}),
    TracingConfig: { Mode: "PassThrough" },
    RevisionId: record.revisionId,
    State: record.state,
    ...(record.stateReason ? { StateReason: record.stateReason } : {}),
    ...(record.stateReasonCode ? { StateReasonCode: record.stateReasonCode } : {}),
    LastUpdateStatus: record.lastUpdateStatus,
    ...(record.lastUpdateStatusReason ? { LastUpdateStatusReason: record.lastUpdateStatusReason } : {}),
    ...(record.lastUpdateStatusReasonCode
      ? { LastUpdateStatusReasonCode: record.lastUpdateStatusReasonCode }
      : {}),
    PackageType: "Zip",
    Architectures: ["x86_64"],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    LoggingConfig: { LogFormat: "Text", LogGroup: logGroupName(record.name) },
  };
}
