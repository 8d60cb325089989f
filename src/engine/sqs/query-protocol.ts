import type { JsonObject } from "./operations.ts";

/**
 * SQS's query protocol (what AWS CLI v2 before the JSON switch, and older SDKs, speak) mapped to and from the
 * JSON protocol's shapes the operations use: flattened lists and maps (`Attribute.1.Name` / `.Value`,
 * `MessageAttribute.1.Value.StringValue`, `SendMessageBatchRequestEntry.1.Id`) in, flattened XML elements out.
 */

type Pair = Record<string, unknown>;

const asArray = (value: unknown): Pair[] => (Array.isArray(value) ? (value as Pair[]) : []);

function mapOf(pairs: unknown, keyName: string, valueName: string): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const pair of asArray(pairs)) {
    const key = pair?.[keyName];
    if (typeof key === "string") map[key] = pair[valueName];
  }
  return map;
}

/** Query member name → JSON member name, for lists of strings. */
const listRenames: Record<string, string> = {
  AttributeName: "AttributeNames",
  MessageSystemAttributeName: "MessageSystemAttributeNames",
  MessageAttributeName: "MessageAttributeNames",
  TagKey: "TagKeys",
};

/**
 * A decoded query input (`decodeQueryInput`: dotted names nested, numbers as list indexes) in the JSON protocol's
 * shape for operation `name`.
 */
export function fromQueryInput(name: string, decoded: JsonObject): JsonObject {
  const input: JsonObject = {};
  for (const [key, value] of Object.entries(decoded)) {
    if (key in listRenames)
      input[listRenames[key] as string] = asArray(value).filter((item) => item !== undefined);
    else if (key === "Attribute") input.Attributes = mapOf(value, "Name", "Value");
    else if (key === "MessageAttribute") input.MessageAttributes = mapOf(value, "Name", "Value");
    else if (key === "MessageSystemAttribute") input.MessageSystemAttributes = mapOf(value, "Name", "Value");
    else if (key === "Tag") input[name === "CreateQueue" ? "tags" : "Tags"] = mapOf(value, "Key", "Value");
    else if (key.endsWith("BatchRequestEntry"))
      input.Entries = asArray(value).map((entry) => fromQueryInput(name, entry ?? {}));
    else input[key] = value;
  }
  return input;
}

function renderMessage(message: JsonObject): JsonObject {
  const rendered: JsonObject = {};
  for (const [key, value] of Object.entries(message)) {
    if (key === "Attributes")
      rendered.Attribute = Object.entries(value as JsonObject).map(([Name, Value]) => ({ Name, Value }));
    else if (key === "MessageAttributes")
      rendered.MessageAttribute = Object.entries(value as JsonObject).map(([Name, Value]) => ({
        Name,
        Value,
      }));
    else rendered[key] = value;
  }
  return rendered;
}

/** An operation's JSON output as the query protocol's `<NameResult>` content; undefined when it has none. */
export function toQueryResult(name: string, output: JsonObject): JsonObject | undefined {
  if (
    Object.keys(output).length === 0 &&
    !["ReceiveMessage", "ListQueues", "GetQueueAttributes"].includes(name)
  )
    return undefined;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(output)) {
    switch (key) {
      case "Attributes":
      case "MessageAttributes":
        Object.assign(result, renderMessage({ [key]: value }));
        break;
      case "Tags":
        result.Tag = Object.entries(value as JsonObject).map(([Key, Value]) => ({ Key, Value }));
        break;
      case "QueueUrls":
      case "queueUrls":
        result.QueueUrl = value;
        break;
      case "Messages":
        result.Message = (value as JsonObject[]).map(renderMessage);
        break;
      case "Successful":
        result[`${name}ResultEntry`] = value;
        break;
      case "Failed":
        result.BatchResultErrorEntry = value;
        break;
      case "Results":
        result.ListMessageMoveTasksResultEntry = value;
        break;
      default:
        result[key] = value;
    }
  }
  return result;
}
