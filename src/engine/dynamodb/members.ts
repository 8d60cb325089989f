import { createRequire } from "node:module";
import { ServiceError } from "../service/index.ts";

/**
 * The input members the dynalite backend handles per operation, read from dynalite's own validation tables
 * (`dynalite/validations/<operation>.js` exports `types`, the members it validates and acts on), plus what the
 * engine handles around it (tags.ts: CreateTable's `Tags`; condition-failure-item.ts:
 * `ReturnValuesOnConditionCheckFailure`). dynalite ignores any other top-level member, so the engine refuses it by
 * name instead of letting it be dropped (a `DeletionProtectionEnabled` or `StreamSpecification` that would be
 * silently off). DynamoDB Local, the real DynamoDB code, reads every member itself, so nothing is refused there.
 */

const require = createRequire(import.meta.url);

/** What the engine handles around dynalite, by operation. */
const engineMembers: Record<string, readonly string[]> = {
  CreateTable: ["Tags"],
  PutItem: ["ReturnValuesOnConditionCheckFailure"],
  UpdateItem: ["ReturnValuesOnConditionCheckFailure"],
  DeleteItem: ["ReturnValuesOnConditionCheckFailure"],
  // dynalite's reads are always strongly consistent, so either value of ConsistentRead holds.
  Scan: ["ConsistentRead"],
};

/**
 * Members dynalite ignores whose value asks for exactly what it does anyway (AWS's defaults: no deletion
 * protection, the STANDARD table class, no stream, encryption with an AWS-owned key), so they are handled.
 */
const defaultValues: Record<string, Record<string, (value: unknown) => boolean>> = {
  CreateTable: {
    DeletionProtectionEnabled: (value) => value === false,
    TableClass: (value) => value === "STANDARD",
    StreamSpecification: (value) => isRecord(value) && value.StreamEnabled === false,
    SSESpecification: (value) => isRecord(value) && value.Enabled === false && value.SSEType === undefined,
  },
};

const cache = new Map<string, ReadonlySet<string> | undefined>();

/** dynalite's members for an operation; undefined when dynalite does not serve it (it answers UnknownOperation). */
export function dynaliteMembers(operation: string): ReadonlySet<string> | undefined {
  if (cache.has(operation)) return cache.get(operation);
  let members: ReadonlySet<string> | undefined;
  const file = operation.charAt(0).toLowerCase() + operation.slice(1);
  try {
    const validation = require(`dynalite/validations/${file}.js`) as { types?: Record<string, unknown> };
    members = new Set([...Object.keys(validation.types ?? {}), ...(engineMembers[operation] ?? [])]);
  } catch {
    members = undefined;
  }
  cache.set(operation, members);
  return members;
}

/**
 * Refuses the members of a request body that dynalite would ignore, naming them (400 ValidationException in
 * DynamoDB's format). A body that is not a JSON object is left to the backend, which answers it in its words.
 */
export function refuseIgnoredMembers(operation: string, body: unknown): void {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const handled = dynaliteMembers(operation);
  if (handled === undefined) return;
  const record = body as Record<string, unknown>;
  const ignored = Object.keys(record).filter(
    (member) => !handled.has(member) && !defaultValues[operation]?.[member]?.(record[member]),
  );
  // dynalite validates GSI creation and deletion in UpdateTable but never performs them.
  if (operation === "UpdateTable" && Array.isArray(record.GlobalSecondaryIndexUpdates)) {
    for (const kind of ["Create", "Delete"])
      if (record.GlobalSecondaryIndexUpdates.some((update) => isRecord(update) && update[kind] !== undefined))
        ignored.push(`GlobalSecondaryIndexUpdates.${kind}`);
  }
  if (ignored.length === 0) return;
  throw new ServiceError(
    400,
    "ValidationException",
    `${ignored.join(", ")}: not supported by this engine's DynamoDB backend (dynalite would ignore it, so it is refused); see docs/engine.md, or run the engine with --dynamodb dynamodb-local`,
    { typePrefix: "com.amazon.coral.validate" },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
