import * as z from "zod";
import { pageFrom } from "../paging.ts";
import { type AnyOperation, operation, ServiceError } from "../service/index.ts";
import { functionNotFound } from "./errors.ts";
import { invalidParameterValue } from "./function-settings.ts";
import { type FunctionRecord, type FunctionStore, renderConfiguration } from "./functions.ts";
import {
  type FindFunction,
  type FunctionTarget,
  functionPath,
  label,
  maxItems,
  member,
  parameter,
} from "./operations.ts";
import type { FunctionRunner } from "./runner.ts";
import {
  aliasesOf,
  exceedsVersionCodeStorage,
  lastVersion,
  latestFingerprint,
  maxVersionCodeBytes,
  type PublishedVersion,
  versionOrder,
} from "./versions.ts";

/**
 * PublishVersion and ListVersionsByFunction, the RevisionId/update-in-progress preconditions every write checks,
 * and the version half of DeleteFunction. Messages: LocalStack's lambda provider (docs/engine.md cites them).
 */

export interface VersionDependencies {
  store: FunctionStore;
  runner: FunctionRunner;
}

/** 412 when a `RevisionId` precondition names another revision than `current`. */
export function checkRevision(current: string, revisionId: unknown): void {
  if (typeof revisionId === "string" && revisionId !== "" && revisionId !== current) {
    throw new ServiceError(
      412,
      "PreconditionFailedException",
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
    );
  }
}

/** 409 while $LATEST is being created or updated. */
export function checkNotUpdating(record: FunctionRecord): void {
  if (record.state === "Pending" || record.lastUpdateStatus === "InProgress") {
    throw new ServiceError(
      409,
      "ResourceConflictException",
      `The operation cannot be performed at this time. An update is in progress for resource: ${record.arn}`,
    );
  }
}

/**
 * Publishes $LATEST (PublishVersion, or `Publish: true` once new code is unpacked): `CodeSha256` and `RevisionId`
 * must match $LATEST when given; unchanged code and configuration answer the last version again.
 */
export function publish(
  store: FunctionStore,
  record: FunctionRecord,
  options: { codeSha256?: unknown; revisionId?: unknown; description?: unknown },
): PublishedVersion {
  checkRevision(record.revisionId, options.revisionId);
  const { codeSha256 } = options;
  if (typeof codeSha256 === "string" && codeSha256 !== "" && codeSha256 !== record.code.sha256) {
    throw invalidParameterValue(
      `CodeSHA256 (${codeSha256}) is different from current CodeSHA256 in $LATEST (${record.code.sha256}). Please try again with the CodeSHA256 in $LATEST.`,
    );
  }
  if (
    options.description !== undefined &&
    (typeof options.description !== "string" || options.description.length > 256)
  )
    throw invalidParameterValue("Description must be a string of at most 256 characters");
  checkNotUpdating(record);
  // Answering the last version again (nothing changed) keeps no new code; a new version of new code must fit.
  if (
    latestFingerprint(record) !== lastVersion(record)?.source &&
    exceedsVersionCodeStorage(record, store.list())
  ) {
    throw new ServiceError(
      400,
      "CodeStorageExceededException",
      `You have exceeded your maximum total code size per account: the published versions of this engine keep at most ${maxVersionCodeBytes} bytes of code. Delete versions you no longer need (DeleteFunction with a Qualifier).`,
    );
  }
  return store.publish(record, options.description as string | undefined).version;
}

/** DeleteFunction with a version qualifier: the version goes (not while an alias points at it). */
export function deleteVersion(deps: VersionDependencies, target: FunctionTarget): void {
  const { record } = target;
  if (target.alias)
    throw invalidParameterValue("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.");
  const version = target.version;
  if (!version)
    throw invalidParameterValue("$LATEST version cannot be deleted without deleting the function.");
  const aliases = aliasesOf(record, version.version);
  if (aliases.length > 0) {
    throw new ServiceError(
      409,
      "ResourceConflictException",
      `Unable to delete version because the following aliases reference it: [${aliases.join(", ")}]`,
    );
  }
  deps.store.deleteVersion(record, version);
  deps.runner.removeFunction(record.name, version.version);
}

/** PublishVersion and ListVersionsByFunction on `/functions/{FunctionName}/versions`. */
export function versionOperations(
  dependencies: () => VersionDependencies,
  find: FindFunction,
): AnyOperation[] {
  return [
    operation({
      name: "PublishVersion",
      http: { method: "POST", path: `${functionPath}/versions`, status: 201 },
      action: "lambda:PublishVersion",
      input: z.object({ FunctionName: label, CodeSha256: member, Description: member, RevisionId: member }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const version = publish(dependencies().store, record, {
          codeSha256: input.CodeSha256,
          revisionId: input.RevisionId,
          description: input.Description,
        });
        return renderConfiguration(record, { version, qualifier: version.version });
      },
    }),
    operation({
      name: "ListVersionsByFunction",
      http: { method: "GET", path: `${functionPath}/versions` },
      action: "lambda:ListVersionsByFunction",
      input: z.object({ FunctionName: label, Marker: parameter, MaxItems: maxItems }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const limit = input.MaxItems ?? 50;
        const all = versionOrder(record);
        const names = all.map((version) => version?.version ?? "$LATEST");
        const marker = input.Marker;
        // The marker names the next page's first version, so it stays valid while versions are published.
        const start = marker ? names.indexOf(marker) : 0;
        if (start === -1) throw functionNotFound(`${record.arn}:${marker}`);
        const page = pageFrom(all, start, limit);
        return {
          Versions: page.items.map((version) =>
            renderConfiguration(record, {
              ...(version ? { version } : {}),
              qualifier: version?.version ?? "$LATEST",
            }),
          ),
          ...(page.next === undefined ? {} : { NextMarker: names[page.next] }),
        };
      },
    }),
  ];
}
