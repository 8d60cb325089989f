import * as z from "zod";
import { lambdaFunctionArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { OperationCall } from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { functionNotFound } from "./errors.ts";
import { parseFunctionReference } from "./function-name.ts";
import { invalidParameterValue, validationException } from "./function-settings.ts";
import type { FunctionRecord, FunctionStore } from "./functions.ts";
import { effectiveQualifier, qualifierKind } from "./qualifier.ts";
import type { FunctionAlias, PublishedVersion } from "./versions.ts";

/**
 * What Lambda's operation declarations share (api.ts and the *-operations.ts files declare them with
 * `operation()`): the routes' paths (the Lambda API reference's request URIs), the kinds of input members, and
 * the lookup of the function a call names, made once per call.
 */

/** `/2015-03-31/functions`: CreateFunction and ListFunctions. */
export const functionsPath = "/2015-03-31/functions";
/** One function; its sub-resources (`/configuration`, `/policy/{StatementId}` ...) are below. */
export const functionPath = `${functionsPath}/{FunctionName}`;

/** A path label: always a string. */
export const label = z.string();
/** A query parameter or header: a string when given. */
export const parameter = z.string().optional();
/**
 * `MaxItems` (a query parameter of the List operations): an integer from 1 to 10000, or AWS's validation error
 * echoing it as a number (`Value '0' at 'maxItems' ...: Member must have value between 1 and 10000`); an empty
 * one is absent.
 */
export const maxItems = z.preprocess(
  (value) => (value === undefined || value === "" ? undefined : Number(value)),
  z
    .number({ error: constraint.between(1, 10000) })
    .int({ error: constraint.between(1, 10000) })
    .min(1, { error: constraint.between(1, 10000) })
    .max(10000, { error: constraint.between(1, 10000) })
    .optional(),
);
/**
 * A body member the handler reads and checks itself, so that its errors keep Lambda's own words
 * (InvalidParameterValueException, the `validationMessage` of each member).
 */
export const member = z.unknown().optional();

/** What a call's function name and qualifier resolved to: $LATEST, a published version or an alias. */
export interface FunctionTarget {
  record: FunctionRecord;
  /** The qualifier the request named (`$LATEST`, `3`, `live`), if any. */
  qualifier?: string;
  version?: PublishedVersion;
  alias?: FunctionAlias;
}

/**
 * Finds the function a call names (`reference`: a name, partial or full ARN, optionally qualified; `qualifier`:
 * the `Qualifier` member), once per call: the declaration's `resource()` finds it before authorization (a
 * missing function is a 404 before any 403, as Lambda answers) and the handler gets the same target.
 * `serves: "versions"` resolves published versions and aliases; `"latest"` (the default) serves $LATEST only
 * and refuses an existing version or alias by name. One that does not exist is not found, as on AWS.
 */
export interface FindFunction {
  (
    call: OperationCall,
    reference: string,
    qualifier?: string,
    serves?: "latest" | "versions",
  ): FunctionTarget;
  /** What the call's lookup found, if it made one. */
  found(call: OperationCall): FunctionTarget | undefined;
}

export function functionFinder(
  dependencies: () => { store: FunctionStore; context: Pick<EngineContext, "region" | "accountId"> },
): FindFunction {
  const found = new WeakMap<ServiceRequest, FunctionTarget>();
  const find = (
    call: OperationCall,
    reference: string,
    qualifier?: string,
    serves: "latest" | "versions" = "latest",
  ): FunctionTarget => {
    const known = found.get(call.request);
    if (known) return known;
    const target = findTarget(dependencies(), call.operation, reference, qualifier, serves);
    found.set(call.request, target);
    return target;
  };
  return Object.assign(find, { found: (call: OperationCall) => found.get(call.request) });
}

function findTarget(
  { store, context }: { store: FunctionStore; context: Pick<EngineContext, "region" | "accountId"> },
  operation: string,
  reference: string,
  qualifier: string | undefined,
  serves: "latest" | "versions",
): FunctionTarget {
  const parsed = parseFunctionReference(reference);
  if (!parsed) throw validationException(validationMessage("functionName", reference));
  const record = store.get(parsed.name);
  const named = effectiveQualifier(parsed.qualifier, qualifier);
  const otherAccount = Boolean(parsed.accountId) && parsed.accountId !== context.accountId;
  if (otherAccount || !record) {
    const arn = lambdaFunctionArn(context.region, context.accountId, parsed.name);
    throw functionNotFound(otherAccount || !named ? arn : `${arn}:${named}`);
  }
  if (named === undefined) return { record };
  const kind = qualifierKind(named);
  if (kind === "latest") return { record, qualifier: named };
  const version =
    kind === "version" ? record.versions.find((candidate) => candidate.version === named) : undefined;
  const alias = kind === "alias" ? record.aliases.find((candidate) => candidate.name === named) : undefined;
  if (!version && !alias) throw functionNotFound(`${record.arn}:${named}`);
  if (serves !== "versions") {
    throw invalidParameterValue(
      `${operation} with the qualifier ${named} (a published ${version ? "version" : "alias"}) is not supported by the embedded engine; it serves $LATEST only for this operation.`,
    );
  }
  return { record, qualifier: named, ...(version ? { version } : {}), ...(alias ? { alias } : {}) };
}
