/**
 * DynamoDB's documented input limits, checked on the parsed request before the backend sees it: the backends
 * recurse over attribute values and expressions, and a value nested a thousand deep overflows dynalite's
 * validator (which ends the process), so nothing deeper than AWS allows may reach them.
 *
 * - Attribute values nest at most 32 levels (AWS "Quotas in Amazon DynamoDB", nested attribute depth); AWS accepts
 *   31 `M`/`L` wrappers and refuses 32, in items and in expression attribute values alike.
 * - An item is at most 400 KB: attribute names and values counted as UTF-8 bytes.
 * - Any expression string is at most 4 KB (4,096 bytes of UTF-8 as sent).
 *
 * The walk is iterative: the JSON itself may be nested a million levels deep (`JSON.parse` copes; a recursive walk
 * would not).
 */

/** AWS's maximum nesting of `M`/`L` attribute values. */
const MAX_ATTRIBUTE_DEPTH = 32;
/** AWS's maximum item size: 400 KB. */
const MAX_ITEM_BYTES = 400 * 1024;
/** AWS's maximum length of one expression string. */
const MAX_EXPRESSION_BYTES = 4096;

export const nestingMessage =
  "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
export const itemSizeMessage = "Item size has exceeded the maximum allowed size";

const expressionNames = new Set([
  "ConditionExpression",
  "FilterExpression",
  "KeyConditionExpression",
  "ProjectionExpression",
  "UpdateExpression",
]);

/** Where a request carries whole items to store: PutItem, BatchWriteItem's PutRequests, TransactWriteItems' Puts. */
const itemHolders = new Set(["PutRequest", "Put"]);

/**
 * The ValidationException message for the first limit the request breaks, or undefined when it breaks none. `body`
 * is the parsed JSON request; anything that is not an object is left to the backend to refuse.
 */
export function inputLimitViolation(operationName: string, body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const depth = deepestAttributeValue(body);
  if (depth > MAX_ATTRIBUTE_DEPTH) return nestingMessage;
  const expression = oversizeExpression(body);
  if (expression) return expression;
  for (const item of storedItems(operationName, body)) {
    if (itemBytes(item) > MAX_ITEM_BYTES) return itemSizeMessage;
  }
  return undefined;
}

/**
 * The deepest attribute-value nesting anywhere in the request: a `{ "M": {...} }` or `{ "L": [...] }` counts a
 * level, a scalar inside `n` wrappers is at level `n + 1`. Stops counting once past the limit.
 */
export function deepestAttributeValue(root: unknown): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; level: number }> = [{ value: root, level: 0 }];
  while (stack.length > 0) {
    const { value, level } = stack.pop() as { value: unknown; level: number };
    if (typeof value !== "object" || value === null) continue;
    const wrapped = attributeWrapper(value);
    const next = wrapped ? level + 1 : level;
    if (wrapped) {
      deepest = Math.max(deepest, next + 1);
      if (deepest > MAX_ATTRIBUTE_DEPTH) return deepest;
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) stack.push({ value: child, level: next });
  }
  return deepest;
}

/** Whether `value` is an `M` or `L` attribute value (an object with that one key holding an object/array). */
function attributeWrapper(value: object): boolean {
  if (Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const inner = (value as Record<string, unknown>)[keys[0] as string];
  return (
    (keys[0] === "M" && typeof inner === "object" && inner !== null && !Array.isArray(inner)) ||
    (keys[0] === "L" && Array.isArray(inner))
  );
}

/** AWS's message for the first expression string over 4 KB, wherever in the request it is. */
function oversizeExpression(root: object): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === "string") {
        if (!expressionNames.has(key)) continue;
        const bytes = Buffer.byteLength(child, "utf8");
        if (bytes > MAX_EXPRESSION_BYTES)
          return `Invalid ${key}: Expression size has exceeded the maximum allowed size; expression size: ${bytes}`;
      } else stack.push(child);
    }
  }
  return undefined;
}

/** The items a write stores whole (UpdateItem's result is the backend's to size). */
function storedItems(operationName: string, body: object): object[] {
  const items: object[] = [];
  const record = body as Record<string, unknown>;
  if (operationName === "PutItem" && isObject(record.Item)) items.push(record.Item);
  const holders: unknown[] = [];
  if (operationName === "BatchWriteItem" && isObject(record.RequestItems))
    for (const requests of Object.values(record.RequestItems))
      if (Array.isArray(requests)) holders.push(...requests);
  if (operationName === "TransactWriteItems" && Array.isArray(record.TransactItems))
    holders.push(...record.TransactItems);
  for (const holder of holders) {
    if (!isObject(holder)) continue;
    for (const [key, inner] of Object.entries(holder))
      if (itemHolders.has(key) && isObject(inner) && isObject((inner as { Item?: unknown }).Item))
        items.push((inner as { Item: object }).Item);
  }
  return items;
}

const isObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * An item's size as AWS counts it ("Item sizes and formats"): each attribute's name in UTF-8 bytes plus its value:
 * strings and binaries by their bytes, numbers about one byte per two significant digits plus one, null and
 * booleans one byte, lists and maps three bytes plus one per element plus their elements (and a map's keys).
 * Called only on items already within the depth limit.
 */
export function itemBytes(item: object): number {
  let total = 0;
  for (const [name, value] of Object.entries(item))
    total += Buffer.byteLength(name, "utf8") + valueBytes(value);
  return total;
}

function valueBytes(value: unknown): number {
  if (!isObject(value)) return 0;
  const [type, inner] = Object.entries(value)[0] ?? [];
  switch (type) {
    case "S":
      return typeof inner === "string" ? Buffer.byteLength(inner, "utf8") : 0;
    case "B":
      return typeof inner === "string" ? Buffer.byteLength(inner, "base64") : 0;
    case "N":
      return typeof inner === "string" ? numberBytes(inner) : 0;
    case "SS":
    case "NS":
    case "BS":
      return Array.isArray(inner)
        ? inner.reduce<number>((sum, member) => sum + valueBytes({ [type.slice(0, 1)]: member }), 0)
        : 0;
    case "NULL":
    case "BOOL":
      return 1;
    case "L":
      return Array.isArray(inner)
        ? inner.reduce<number>((sum, member) => sum + 1 + valueBytes(member), 3)
        : 3;
    case "M":
      return isObject(inner) ? 3 + Object.keys(inner).length + itemBytes(inner) : 3;
    default:
      return 0;
  }
}

/** A number's size: 1 byte per 2 significant digits, plus 1 (AWS's approximation). */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^[-+]?/, "")
    .replace(/[eE].*$/, "")
    .replace(".", "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}
