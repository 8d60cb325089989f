import {
  type AnyOperation,
  jsonObjectBody,
  type OperationCall,
  operation,
  respondWith,
  ServiceError,
} from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import type { FunctionRecord } from "./functions.ts";
import { refuseUnhandledMembers } from "./members.ts";
import type { FunctionAlias, PublishedVersion } from "./versions.ts";

/**
 * The shape of one Lambda API operation, as `LambdaApi` declares them in its table: its name, its route (method
 * and path below `/2015-03-31/functions`), the IAM action it needs, and its handler. `declareOperations` turns
 * the table into the service's declaration for the shared dispatcher, and `resolveOperation` finds the route.
 */

/** One call as the dispatcher hands it to an operation. */
export interface LambdaCall {
  request: ServiceRequest;
  /** The path's `FunctionName` segment and the one after its sub-resource (statement id, package file). */
  params: { name: string; extra: string };
  /** The JSON body, parsed on first use (SerializationException when it is not a JSON object). */
  body(): Record<string, unknown>;
}

/** What a call's function name and qualifier resolved to: $LATEST, a published version or an alias. */
export interface FunctionTarget {
  record: FunctionRecord;
  /** The qualifier the request named (`$LATEST`, `3`, `live`), if any. */
  qualifier?: string;
  version?: PublishedVersion;
  alias?: FunctionAlias;
}

/** A call on one function, found (and its `lambda:<action>` checked) before the operation runs. */
export interface FunctionCall extends LambdaCall {
  record: FunctionRecord;
  target: FunctionTarget;
}

export interface OperationRoute {
  /** The API operation's name. */
  name: string;
  /** The API version in the path (`/2019-09-25/functions/...`); `2015-03-31` when absent. */
  version?: string;
  /** The path's collection: `functions` when absent; `tags` for `/2017-03-31/tags/{function ARN}`. */
  collection?: "tags";
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The sub-resource after `/functions/{name}` (`configuration`, `policy`, ...); none for the function. */
  sub?: string;
  /** Whether a segment after the sub-resource must be absent, present, or either. */
  extra: "none" | "required" | "any";
}

/**
 * An operation on `/2015-03-31/functions` (`collection`) or on a path below it that is not a function
 * (`path`); with an `action`, the caller needs `lambda:<action>` on `resource` (default `*`).
 */
export interface PathOperation extends OperationRoute {
  on: "collection" | "path";
  action?: string;
  resource?(call: LambdaCall): string;
  run(call: LambdaCall): ServiceResponse | Promise<ServiceResponse>;
}

/** An operation on one function: the caller needs `lambda:<action>` on the function's ARN. */
export interface FunctionOperation extends OperationRoute {
  on: "function";
  action: string;
  /**
   * Whether the `Qualifier` query parameter applies: `versions` resolves published versions and aliases too;
   * `true` serves `$LATEST` only and refuses an existing version or alias by name.
   */
  qualified: boolean | "versions";
  run(call: FunctionCall): ServiceResponse | Promise<ServiceResponse>;
}

export type LambdaOperation = PathOperation | FunctionOperation;

/**
 * The operation serving `method` on `/{version}/functions/{name}/{sub}/{extra}` (`name` empty or absent for
 * the collection), or undefined.
 */
export function findOperation(
  operations: readonly LambdaOperation[],
  method: string,
  name: string | undefined,
  sub: string | undefined,
  extra: string | undefined,
  version = defaultVersion,
  collection = "functions",
): LambdaOperation | undefined {
  const onCollection = name === undefined || name === "";
  return operations.find((candidate) => {
    if ((candidate.version ?? defaultVersion) !== version) return false;
    if ((candidate.collection ?? "functions") !== collection) return false;
    if (candidate.method !== method || (candidate.on === "collection") !== onCollection) return false;
    // Without a function name, whatever follows is not looked at (as the if/else router this replaced did).
    if (onCollection) return true;
    if (candidate.sub !== sub) return false;
    return (
      candidate.extra === "any" || (candidate.extra === "required" ? Boolean(extra) : extra === undefined)
    );
  });
}

const defaultVersion = "2015-03-31";

/** The operation a request's method and path name, with its labels (`FunctionName`, `Extra`), or undefined. */
export function resolveOperation(
  operations: readonly LambdaOperation[],
  request: Pick<ServiceRequest, "method" | "rawPath">,
): { name: string; labels: Record<string, string> } | undefined {
  const segments = request.rawPath.split("/").map((segment) => decodeURIComponent(segment));
  const [, version, collection, name, sub, extra] = segments;
  if (collection !== "functions" && collection !== "tags") return undefined;
  const found = findOperation(
    operations,
    request.method.toUpperCase(),
    name,
    sub,
    extra,
    version,
    collection,
  );
  return found && { name: found.name, labels: { FunctionName: name ?? "", Extra: extra ?? "" } };
}

/**
 * The table as the shared dispatcher takes it: a function operation needs `lambda:<action>` on the function's
 * ARN, found first (so a missing function is a 404 before any 403, as Lambda answers); the others on their
 * resource (default `*`), or nothing when they declare no action. Each call sees the same LambdaCall, so the
 * body is parsed once.
 */
export function declareOperations(
  operations: readonly LambdaOperation[],
  find: (
    reference: string,
    qualifier: string | null | undefined,
    operation: FunctionOperation,
  ) => FunctionTarget,
): AnyOperation[] {
  const calls = new WeakMap<ServiceRequest, LambdaCall>();
  const lambdaCall = ({ request, labels }: OperationCall): LambdaCall => {
    const known = calls.get(request);
    if (known) return known;
    let parsedBody: Record<string, unknown> | undefined;
    const call: LambdaCall = {
      request,
      params: { name: labels.FunctionName ?? "", extra: labels.Extra ?? "" },
      body: () => {
        parsedBody ??= jsonObjectBody(request, serializationError);
        return parsedBody;
      },
    };
    calls.set(request, call);
    return call;
  };
  // Every member the operation does not handle is refused by name before it runs (members.ts).
  const checked = (entry: LambdaOperation, call: LambdaCall): LambdaCall => {
    const carriesMembers = (entry.method === "POST" || entry.method === "PUT") && entry.name !== "Invoke";
    refuseUnhandledMembers(entry.name, call.request, carriesMembers ? call.body() : undefined);
    return call;
  };
  return operations.map((entry) => {
    if (entry.on === "function") {
      const target = (call: OperationCall) =>
        find(
          call.labels.FunctionName ?? "",
          entry.qualified ? call.request.query.get("Qualifier") : undefined,
          entry,
        );
      return operation({
        name: entry.name,
        action: `lambda:${entry.action}`,
        resource: (_input, call) => target(call).record.arn,
        handler: async (_input, call) => {
          const found = target(call);
          return respondWith(
            await entry.run({ ...checked(entry, lambdaCall(call)), record: found.record, target: found }),
          );
        },
      });
    }
    return operation({
      name: entry.name,
      action: entry.action === undefined ? null : `lambda:${entry.action}`,
      resource: (_input, call) => entry.resource?.(lambdaCall(call)) ?? "*",
      handler: async (_input, call) => respondWith(await entry.run(checked(entry, lambdaCall(call)))),
    });
  });
}

const serializationError = () =>
  new ServiceError(400, "SerializationException", "Could not parse the request body as a JSON object");
