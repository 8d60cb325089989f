import { randomUUID } from "node:crypto";
import type { Deployment } from "./environment.ts";
import type { CodeVersion, FunctionRecord, FunctionSettings } from "./functions.ts";
import type { AliasRouting } from "./qualifier.ts";

/**
 * Published versions and aliases of a function, as data and pure functions. A version is an immutable snapshot of
 * $LATEST's code and configuration ("Use versions to create a snapshot of your function code and configuration
 * that doesn't change", PublishVersion in the Lambda API reference); "Lambda doesn't publish a version if the
 * function's configuration and code haven't changed since the last version" — it answers that version again.
 */

/**
 * Code packages the published versions of all functions keep, at most (each version's zip stays in memory, as
 * $LATEST's does). AWS's own bound is a per-account code storage quota (CodeStorageExceededException); the
 * engine's is lower, so that publishing on every deploy cannot grow it without bound.
 */
export const maxVersionCodeBytes = 512 * 1024 * 1024;

/**
 * Whether publishing `record` now would take the code the versions of `functions` keep past
 * {@link maxVersionCodeBytes} (code shared with an existing version counts once).
 */
export function exceedsVersionCodeStorage(
  record: FunctionRecord,
  functions: readonly FunctionRecord[],
): boolean {
  const kept = new Map<string, number>();
  for (const fn of functions)
    for (const version of fn.versions) kept.set(version.code.directory, version.code.size);
  if (kept.has(record.code.directory)) return false;
  return [...kept.values()].reduce((sum, size) => sum + size, 0) + record.code.size > maxVersionCodeBytes;
}

/** One published version: the settings and code of $LATEST when it was published. */
export interface PublishedVersion extends FunctionSettings {
  /** "1", "2", ... */
  version: string;
  code: CodeVersion;
  lastModified: string;
  revisionId: string;
  /** {@link latestFingerprint} of $LATEST when published (the republish rule compares it). */
  source: string;
  /** What invocations of this version run; undefined until its code is unpacked (after a restart). */
  deployment: Deployment | undefined;
}

/** An alias: a name for one version, optionally sharing its invocations with a second (`RoutingConfig`). */
export interface FunctionAlias {
  name: string;
  functionVersion: string;
  description: string;
  routing?: AliasRouting;
  revisionId: string;
}

/** The settings a version keeps (tags belong to the function, not to a version). */
function versionSettings(settings: FunctionSettings): FunctionSettings {
  const { tags: _tags, ...kept } = settings;
  return structuredClone(kept);
}

/** What identifies $LATEST's code and configuration: equal fingerprints mean nothing changed. */
export function latestFingerprint(record: FunctionRecord): string {
  const settings = versionSettings(record);
  const ordered = Object.fromEntries(
    Object.entries({
      runtime: settings.runtime,
      role: settings.role,
      handler: settings.handler,
      description: settings.description,
      timeout: settings.timeout,
      memorySize: settings.memorySize,
      environment: Object.entries(settings.environment).sort(([a], [b]) => a.localeCompare(b)),
      deadLetterTargetArn: settings.deadLetterTargetArn ?? "",
      architecture: settings.architecture,
      ephemeralStorage: settings.ephemeralStorage,
      tracingMode: settings.tracingMode,
    }),
  );
  return JSON.stringify([ordered, record.code.sha256]);
}

/** The version published last, if it still exists (numbered `nextVersion - 1`). */
export function lastVersion(record: FunctionRecord): PublishedVersion | undefined {
  return record.versions.find((candidate) => candidate.version === String(record.nextVersion - 1));
}

/**
 * The version PublishVersion answers: the last published one when $LATEST has not changed since (its number is
 * `nextVersion - 1` and it still exists), otherwise a new snapshot numbered `nextVersion` (`created`).
 */
export function versionToPublish(
  record: FunctionRecord,
  description: string | undefined,
  now: string,
): { version: PublishedVersion; created: boolean } {
  const source = latestFingerprint(record);
  const last = lastVersion(record);
  if (last && last.source === source) return { version: last, created: false };
  const number = String(record.nextVersion);
  const version: PublishedVersion = {
    ...versionSettings(record),
    ...(description !== undefined ? { description } : {}),
    version: number,
    code: record.code,
    lastModified: now,
    revisionId: randomUUID(),
    source,
    deployment: undefined,
  };
  if (record.deployment) version.deployment = versionDeployment(record, version);
  return { version, created: true };
}

/** The deployment of a version: its code and settings, bound to its number (once its code is unpacked). */
export function versionDeployment(
  record: Pick<FunctionRecord, "name" | "arn">,
  version: PublishedVersion,
): Deployment {
  return {
    id: `${record.name}:${version.version}:${version.revisionId}`,
    functionName: record.name,
    qualifier: version.version,
    functionArn: `${record.arn}:${version.version}`,
    runtime: version.runtime,
    handler: version.handler,
    codeDirectory: version.code.directory,
    codeSha256: version.code.sha256,
    timeoutSeconds: version.timeout,
    memorySizeMb: version.memorySize,
    roleArn: version.role,
    environment: { ...version.environment },
  };
}

/** Numbers of versions: "$LATEST" first, then published ones in order (ListVersionsByFunction's order). */
export function versionOrder(record: FunctionRecord): Array<PublishedVersion | undefined> {
  return [undefined, ...[...record.versions].sort((a, b) => Number(a.version) - Number(b.version))];
}

/** The aliases that point at `version` (primary or additional), by name. */
export function aliasesOf(record: FunctionRecord, version: string): string[] {
  return record.aliases
    .filter((alias) => alias.functionVersion === version || alias.routing?.version === version)
    .map((alias) => alias.name)
    .sort();
}

/** `AliasConfiguration` as the API answers it. */
export function renderAlias(record: FunctionRecord, alias: FunctionAlias): Record<string, unknown> {
  return {
    AliasArn: `${record.arn}:${alias.name}`,
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(alias.routing
      ? { RoutingConfig: { AdditionalVersionWeights: { [alias.routing.version]: alias.routing.weight } } }
      : {}),
    RevisionId: alias.revisionId,
  };
}
