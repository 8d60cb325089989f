import { ServiceError } from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";

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

/** The parameter as the request gives it, or undefined when the body is not a JSON object (the backend says so). */
function readInput(body: Buffer): WriteInput | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as WriteInput)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a value outside the enum, before the backend sees (and ignores) it. */
export function checkReturnValuesOnConditionCheckFailure(operation: string, body: Buffer): void {
  if (!singleItemWrites.has(operation)) return;
  const value = readInput(body)?.ReturnValuesOnConditionCheckFailure;
  if (value === undefined || (typeof value === "string" && allowed.includes(value))) return;
  throw new ServiceError(
    400,
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
    { typePrefix: "com.amazon.coral.validate" },
  );
}

/** A request to the backend beside the caller's, same signature headers, another target. */
function backendCall(request: ServiceRequest, target: string, input: unknown): ServiceRequest {
  return {
    ...request,
    headers: { ...request.headers, "x-amz-target": `DynamoDB_20120810.${target}` },
    body: Buffer.from(JSON.stringify(input)),
  };
}

/** A backend answer's JSON body; {} for anything else (a streamed or unparsable body). */
function jsonOf(response: ServiceResponse): Record<string, unknown> {
  const { body } = response;
  if (typeof body !== "string" && !Buffer.isBuffer(body)) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString());
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function backendJson(backend: Backend, request: ServiceRequest): Promise<Record<string, unknown>> {
  const response = await backend(request);
  return response.status === 200 ? jsonOf(response) : {};
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
  const input = readInput(request.body);
  if (input?.ReturnValuesOnConditionCheckFailure !== "ALL_OLD") return response;
  const error = jsonOf(response);
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
