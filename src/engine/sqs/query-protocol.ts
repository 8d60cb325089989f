import { type AnyOperation, decodeQueryInput, type QueryParams } from "../service/index.ts";

/**
 * SQS's query codec (what AWS CLI v2 before the JSON switch, and older SDKs, speak), one for every operation:
 * the query protocol's flattened lists and maps (`Attribute.1.Name` / `.Value`, `MessageAttribute.1.Value.
 * StringValue`, `SendMessageBatchRequestEntry.1.Id`) in the JSON protocol's members the operations declare, and
 * their output as the flattened XML elements (`<Attribute>`, `<SendMessageBatchResultEntry>`) out. The renames
 * are the 2012-11-05 model's `locationName`s, which follow these rules for every SQS operation.
 */

type JsonObject = Record<string, unknown>;
type Pair = Record<string, unknown>;

const asArray = (value: unknown): Pair[] => (Array.isArray(value) ? (value as Pair[]) : []);

function mapOf(pairs: unknown, keyName: string, valueName: string): JsonObject {
  const map: JsonObject = {};
  for (const pair of asArray(pairs)) {
    const key = pair?.[keyName];
    if (typeof key === "string") map[key] = pair[valueName];
  }
  return map;
}

/** Query member name → JSON member name, for lists of strings (the query name is the list item's). */
const listRenames: Record<string, string> = {
  AttributeName: "AttributeNames",
  MessageSystemAttributeName: "MessageSystemAttributeNames",
  MessageAttributeName: "MessageAttributeNames",
  TagKey: "TagKeys",
};

/** Query member name → JSON member name, for `Name`/`Value` maps. */
const mapRenames: Record<string, string> = {
  Attribute: "Attributes",
  MessageAttribute: "MessageAttributes",
  MessageSystemAttribute: "MessageSystemAttributes",
};

/**
 * A decoded query input (`decodeQueryInput`: dotted names nested, numbers as list indexes) in the JSON
 * protocol's shape; `members` are the operation's declared ones, where `Tag.N.Key` goes (`tags` on CreateQueue,
 * `Tags` elsewhere).
 */
function fromQueryInput(decoded: JsonObject, members: readonly string[]): JsonObject {
  const input: JsonObject = {};
  for (const [key, value] of Object.entries(decoded)) {
    const list = listRenames[key];
    const map = mapRenames[key];
    if (list !== undefined) input[list] = asArray(value).filter((item) => item !== undefined);
    else if (map !== undefined) input[map] = mapOf(value, "Name", "Value");
    else if (key === "Tag") input[members.includes("tags") ? "tags" : "Tags"] = mapOf(value, "Key", "Value");
    else if (key.endsWith("BatchRequestEntry"))
      input.Entries = asArray(value).map((entry) => fromQueryInput(entry ?? {}, members));
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

/**
 * An operation's JSON output as the query protocol's `<NameResult>` content: none for an operation without
 * output (its handler answers undefined); the batch results and the move-task listing are `<NameResultEntry>`.
 */
function toQueryResult(name: string, output: JsonObject | undefined): JsonObject | undefined {
  if (output === undefined) return undefined;
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
      case "Results":
        result[`${name}ResultEntry`] = value;
        break;
      case "Failed":
        result.BatchResultErrorEntry = value;
        break;
      default:
        result[key] = value;
    }
  }
  return result;
}

/** The members an operation's object schema declares. */
function declaredMembers(operation: AnyOperation): readonly string[] {
  return Object.keys((operation.input as { shape?: JsonObject } | undefined)?.shape ?? {});
}

/** The codec of SQS's query protocol section (sqs/index.ts). */
export const sqsQueryCodec = {
  decode: (params: QueryParams, operation: AnyOperation): JsonObject =>
    fromQueryInput(decodeQueryInput(params), declaredMembers(operation)),
  encode: (output: unknown, operation: AnyOperation): JsonObject | undefined =>
    toQueryResult(operation.name, output as JsonObject | undefined),
};
