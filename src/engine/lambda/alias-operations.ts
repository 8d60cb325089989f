import { randomUUID } from "node:crypto";
import * as z from "zod";
import { pageFrom } from "../paging.ts";
import { type AnyOperation, operation, respondWith, ServiceError } from "../service/index.ts";
import { functionNotFound } from "./errors.ts";
import { invalidParameterValue } from "./function-settings.ts";
import type { FunctionRecord, FunctionStore } from "./functions.ts";
import { type FindFunction, functionPath, label, maxItems, member, parameter } from "./operations.ts";
import { checkAliasName, parseRouting } from "./qualifier.ts";
import { checkRevision } from "./version-operations.ts";
import { type FunctionAlias, renderAlias } from "./versions.ts";

/**
 * CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases (`/functions/{name}/aliases[/{alias}]`). An alias
 * names `$LATEST` or a published version, and may route a share of invocations to a second version. Messages:
 * LocalStack's lambda provider (docs/engine.md cites them).
 */

const aliasNotFound = (record: FunctionRecord, name: string) =>
  new ServiceError(404, "ResourceNotFoundException", `Cannot find alias arn: ${record.arn}:${name}`);

function findAlias(record: FunctionRecord, name: string): FunctionAlias {
  const alias = record.aliases.find((candidate) => candidate.name === name);
  if (!alias) throw aliasNotFound(record, name);
  return alias;
}

/** The version an alias may point to: `$LATEST` or a published version that exists. */
function checkVersion(record: FunctionRecord, version: unknown): string {
  if (typeof version !== "string" || !/^(\$LATEST|[0-9]+)$/.test(version))
    throw invalidParameterValue(
      `FunctionVersion must be $LATEST or a published version number, not ${String(version)}`,
    );
  if (version !== "$LATEST" && !record.versions.some((candidate) => candidate.version === version))
    throw functionNotFound(`${record.arn}:${version}`);
  return version;
}

function checkRouting(record: FunctionRecord, routingConfig: unknown, primary: string) {
  const routing = parseRouting(routingConfig, primary);
  if (routing) checkVersion(record, routing.version);
  return routing;
}

function checkDescription(description: unknown): string | undefined {
  if (description === undefined || description === null) return undefined;
  if (typeof description !== "string" || description.length > 256)
    throw invalidParameterValue("Description must be a string of at most 256 characters");
  return description;
}

const aliasesPath = `${functionPath}/aliases`;
const aliasPath = `${aliasesPath}/{Name}`;

export function aliasOperations(
  dependencies: () => { store: FunctionStore },
  find: FindFunction,
): AnyOperation[] {
  return [
    operation({
      name: "CreateAlias",
      http: { method: "POST", path: aliasesPath, status: 201 },
      action: "lambda:CreateAlias",
      input: z.object({
        FunctionName: label,
        Name: member,
        FunctionVersion: member,
        Description: member,
        RoutingConfig: member,
      }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const name = checkAliasName(input.Name);
        const functionVersion = checkVersion(record, input.FunctionVersion);
        if (record.aliases.some((alias) => alias.name === name))
          throw new ServiceError(
            409,
            "ResourceConflictException",
            `Alias already exists: ${record.arn}:${name}`,
          );
        const routing = checkRouting(record, input.RoutingConfig, functionVersion);
        const alias: FunctionAlias = {
          name,
          functionVersion,
          description: checkDescription(input.Description) ?? "",
          ...(routing ? { routing } : {}),
          revisionId: randomUUID(),
        };
        record.aliases.push(alias);
        dependencies().store.keep(record);
        return renderAlias(record, alias);
      },
    }),
    operation({
      name: "ListAliases",
      http: { method: "GET", path: aliasesPath },
      action: "lambda:ListAliases",
      input: z.object({
        FunctionName: label,
        FunctionVersion: parameter,
        Marker: parameter,
        MaxItems: maxItems,
      }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const version = input.FunctionVersion;
        const limit = input.MaxItems ?? 50;
        const all = record.aliases
          .filter((alias) => !version || alias.functionVersion === version)
          .sort((a, b) => a.name.localeCompare(b.name));
        const marker = input.Marker;
        const start = marker
          ? Math.max(
              0,
              all.findIndex((alias) => alias.name === marker),
            )
          : 0;
        const page = pageFrom(all, start, limit);
        return {
          Aliases: page.items.map((alias) => renderAlias(record, alias)),
          ...(page.next === undefined ? {} : { NextMarker: all[page.next]?.name }),
        };
      },
    }),
    operation({
      name: "GetAlias",
      http: { method: "GET", path: aliasPath },
      action: "lambda:GetAlias",
      input: z.object({ FunctionName: label, Name: label }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        return renderAlias(record, findAlias(record, input.Name));
      },
    }),
    operation({
      name: "UpdateAlias",
      http: { method: "PUT", path: aliasPath },
      action: "lambda:UpdateAlias",
      input: z.object({
        FunctionName: label,
        Name: label,
        FunctionVersion: member,
        Description: member,
        RoutingConfig: member,
        RevisionId: member,
      }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const alias = findAlias(record, input.Name);
        checkRevision(alias.revisionId, input.RevisionId);
        const functionVersion =
          input.FunctionVersion === undefined
            ? alias.functionVersion
            : checkVersion(record, input.FunctionVersion);
        // An absent RoutingConfig keeps the routing; a present one (even empty) replaces it.
        const routing =
          input.RoutingConfig === undefined
            ? alias.routing &&
              checkRouting(
                record,
                { AdditionalVersionWeights: { [alias.routing.version]: alias.routing.weight } },
                functionVersion,
              )
            : checkRouting(record, input.RoutingConfig, functionVersion);
        const description = checkDescription(input.Description);
        alias.functionVersion = functionVersion;
        if (description !== undefined) alias.description = description;
        if (routing) alias.routing = routing;
        else delete alias.routing;
        alias.revisionId = randomUUID();
        dependencies().store.keep(record);
        return renderAlias(record, alias);
      },
    }),
    operation({
      name: "DeleteAlias",
      http: { method: "DELETE", path: aliasPath },
      action: "lambda:DeleteAlias",
      input: z.object({ FunctionName: label, Name: label }),
      resource: (input, call) => find(call, input.FunctionName).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.FunctionName);
        const alias = findAlias(record, input.Name);
        record.aliases = record.aliases.filter((candidate) => candidate !== alias);
        dependencies().store.keep(record);
        return respondWith({ status: 204 });
      },
    }),
  ];
}
