import { dynamodbTableArn } from "../arn.ts";
import { type AnyOperation, type OperationCall, operation, respondWith } from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { checkReturnValuesOnConditionCheckFailure } from "./condition-failure-item.ts";

/**
 * DynamoDB's operations as the engine declares them: the emulator behind (dynalite or DynamoDB Local) parses,
 * validates and answers each; the engine adds what emulators lack: `dynamodb:<Op>` checked on the table(s) the
 * request names, for role callers, before the request is forwarded.
 */

/** The operations a request of which names its table(s): `TableName`, or `RequestItems`' keys for batches. */
const operationNames = [
  "BatchGetItem",
  "BatchWriteItem",
  "CreateTable",
  "DeleteItem",
  "DeleteTable",
  "DescribeTable",
  "DescribeTimeToLive",
  "GetItem",
  "ListTables",
  "ListTagsOfResource",
  "PutItem",
  "Query",
  "Scan",
  "TagResource",
  "UntagResource",
  "UpdateItem",
  "UpdateTable",
  "UpdateTimeToLive",
  "TransactGetItems",
  "TransactWriteItems",
  "ExecuteStatement",
  "BatchExecuteStatement",
  "ExecuteTransaction",
  "DescribeLimits",
  "DescribeEndpoints",
] as const;

const batchOperations = new Set(["BatchGetItem", "BatchWriteItem"]);

/** A request body parsed once for the engine's own checks; undefined when it is not JSON (the backend says so). */
export function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The tables a request names, read leniently: a body the emulator will refuse names none (`*` is checked). */
function tablesOf(body: unknown, operationName: string): string[] {
  if (typeof body !== "object" || body === null) return [];
  const parsed = body as { TableName?: unknown; RequestItems?: unknown };
  if (batchOperations.has(operationName))
    return typeof parsed.RequestItems === "object" && parsed.RequestItems !== null
      ? Object.keys(parsed.RequestItems)
      : [];
  return typeof parsed.TableName === "string" && parsed.TableName !== "" ? [parsed.TableName] : [];
}

/**
 * The declared operations, each forwarding its request to `forward` (which may answer an injected fault); the
 * input is the tables the request names.
 */
export function dynamoDbOperations(
  accountId: string,
  forward: (request: ServiceRequest, operationName: string, body: unknown) => Promise<ServiceResponse>,
  /** Refuses the members the backend would ignore (members.ts), when the backend is dynalite. */
  refuseIgnored?: (operationName: string, body: unknown) => void,
): AnyOperation[] {
  return operationNames.map((name) =>
    operation({
      name,
      decode: {
        json: (raw) => {
          const body = parseBody(raw);
          refuseIgnored?.(name, body);
          checkReturnValuesOnConditionCheckFailure(name, body);
          return { tables: tablesOf(body, name), body };
        },
      },
      resource: (input: { tables: string[]; body: unknown }, call: OperationCall) =>
        (input.tables.length > 0 ? input.tables : ["*"]).map((table) =>
          dynamodbTableArn(call.request.region, accountId, table),
        ),
      handler: async (input: { tables: string[]; body: unknown }, call) =>
        respondWith(await forward(call.request, name, input.body)),
    }),
  );
}
