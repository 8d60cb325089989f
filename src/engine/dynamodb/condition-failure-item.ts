import { ServiceError } from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { backendCall, requestObject, responseJson } from "./backend-call.ts";

/**
 * `ReturnValuesOnConditionCheckFailure` for backends that predate it (dynalite 4 reads the item, fails the
 * condition and answers without it): PutItem, UpdateItem and DeleteItem take `ALL_OLD` or `NONE`
 * (`@aws-sdk/client-dynamodb`'s `ReturnValuesOnConditionCheckFailure` enum); with `ALL_OLD`, a
 * `ConditionalCheckFailedException` carries the item that failed the condition in `Item` (the SDK's error shape).
 * Any other value is refused with DynamoDB's own validation message (as DynamoDB Local words it).
 */

const singleItemWrites = new Set(["PutItem", "UpdateItem", "DeleteItem"]);
const allowed = ["ALL_OLD", "NONE"];

type Backend = (request: ServiceRequest) => Promise<ServiceResponse>;

interface WriteInput {
  TableName?: unknown;
  Key?: unknown;
  Item?: unknown;
  ReturnValuesOnConditionCheckFailure?: unknown;
}

/** Refuses a value outside the enum, before the backend sees (and ignores) it. */
export function checkReturnValuesOnConditionCheckFailure(operation: string, body: unknown): void {
  if (!singleItemWrites.has(operation) || typeof body !== "object" || body === null) return;
  const value = (body as WriteInput).ReturnValuesOnConditionCheckFailure;
  if (value === undefined || (typeof value === "string" && allowed.includes(value))) return;
  throw new ServiceError(
    400,
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
    { typePrefix: "com.amazon.coral.validate" },
  );
}

async function backendJson(backend: Backend, request: ServiceRequest): Promise<Record<string, unknown>> {
  const response = await backend(request);
  return response.status === 200 ? responseJson(response) : {};
}

/** The key of the item a write names: `Key`, or the key attributes of PutItem's `Item` (from the key schema). */
async function keyOf(
  backend: Backend,
  request: ServiceRequest,
  operation: string,
  input: WriteInput,
): Promise<Record<string, unknown> | undefined> {
  if (operation !== "PutItem") return input.Key as Record<string, unknown> | undefined;
  const item = input.Item as Record<string, unknown> | undefined;
  if (!item) return undefined;
  const described = await backendJson(
    backend,
    backendCall(request, "DescribeTable", { TableName: input.TableName }),
  );
  const schema =
    (described.Table as { KeySchema?: { AttributeName: string }[] } | undefined)?.KeySchema ?? [];
  if (schema.length === 0) return undefined;
  return Object.fromEntries(schema.map(({ AttributeName }) => [AttributeName, item[AttributeName]]));
}

/**
 * Forwards a write and, when it failed its condition with `ALL_OLD` asked for, adds the current item to the error.
 * The item is read after the failure (consistently), so a write landing between the two is what it shows.
 */
export async function withConditionFailureItem(
  backend: Backend,
  operation: string,
  request: ServiceRequest,
): Promise<ServiceResponse> {
  const response = await backend(request);
  if (response.status !== 400 || !singleItemWrites.has(operation)) return response;
  const input = requestObject(request.body) as WriteInput | undefined;
  if (input?.ReturnValuesOnConditionCheckFailure !== "ALL_OLD") return response;
  const error = responseJson(response);
  if (typeof error.__type !== "string" || !error.__type.endsWith("#ConditionalCheckFailedException"))
    return response;
  if (error.Item !== undefined) return response; // the backend already answers it (DynamoDB Local)
  const key = await keyOf(backend, request, operation, input);
  if (!key) return response;
  const found = await backendJson(
    backend,
    backendCall(request, "GetItem", { TableName: input.TableName, Key: key, ConsistentRead: true }),
  );
  if (found.Item === undefined) return response;
  const body = Buffer.from(JSON.stringify({ ...error, Item: found.Item }));
  return { ...response, headers: { ...response.headers, "content-length": String(body.length) }, body };
}
