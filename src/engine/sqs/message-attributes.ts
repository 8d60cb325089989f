import { createHash } from "node:crypto";
import { sqsErrors } from "./errors.ts";

/**
 * Message attributes as SQS validates, sizes and checksums them. Binary values are kept base64-encoded (the JSON
 * protocol's form), so one shape serves both protocols and the journal.
 */

/** One user attribute: `DataType` is `String`, `Number` or `Binary`, optionally with a `.label`. */
interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64. */
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

const MAX_MESSAGE_ATTRIBUTES = 10;

const namePattern = /^[A-Za-z0-9_.-]{1,256}$/;
const numberPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/**
 * Whether `text` holds a character SQS refuses: anything outside XML 1.0's Char production (#x9 | #xA | #xD |
 * #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF), so control characters, lone surrogates and U+FFFE/U+FFFF.
 */
export function hasInvalidCharacters(text: string): boolean {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000;
    if (!allowed) return true;
  }
  return false;
}

const baseType = (dataType: string) => dataType.split(".")[0] ?? "";

/**
 * Checks user message attributes as SendMessage does, throwing AWS's error for the first problem.
 *
 * @example validateMessageAttributes({ n: { DataType: "Number", StringValue: "1" } }) // no error
 */
export function validateMessageAttributes(attributes: MessageAttributes): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw sqsErrors.invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    const lower = name.toLowerCase();
    if (
      !namePattern.test(name) ||
      lower.startsWith("aws.") ||
      lower.startsWith("amazon.") ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..")
    ) {
      throw sqsErrors.invalidParameterValue(
        `The message attribute name '${name}' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.`,
      );
    }
    const dataType = value?.DataType ?? "";
    const type = baseType(dataType);
    if (dataType === "") {
      throw sqsErrors.invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute type.`,
      );
    }
    if (!["String", "Number", "Binary"].includes(type) || dataType.length > 256) {
      throw sqsErrors.invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    const payload = type === "Binary" ? value.BinaryValue : value.StringValue;
    if (payload === undefined || payload === "") {
      throw sqsErrors.invalidParameterValue(
        `Message (user) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (type === "Number" && !numberPattern.test(payload)) {
      throw sqsErrors.invalidParameterValue(
        `Can't cast the value of message (user) attribute '${name}' to a number.`,
      );
    }
    if (type !== "Binary" && hasInvalidCharacters(payload)) throw sqsErrors.invalidMessageContents();
  }
}

/** Bytes the attributes count toward the message size: name, type and value of each. */
export function messageAttributesSize(attributes: MessageAttributes): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size +=
      baseType(value.DataType) === "Binary"
        ? Buffer.from(value.BinaryValue ?? "", "base64").length
        : Buffer.byteLength(value.StringValue ?? "");
  }
  return size;
}

/** MD5 hex of a body, as `MD5OfMessageBody` / `MD5OfBody`. */
export function md5OfBody(body: string): string {
  return createHash("md5").update(body, "utf8").digest("hex");
}

/**
 * `MD5OfMessageAttributes` as AWS computes it: for each attribute in name order, the 4-byte big-endian length and
 * UTF-8 bytes of the name and of the data type, one transport byte (1 string, 2 binary), then the value's length
 * and bytes. Undefined for no attributes (AWS then omits the field).
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash("md5");
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(value.DataType, "utf8"));
    if (baseType(value.DataType) === "Binary") {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue ?? "", "base64"));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8"));
    }
  }
  return hash.digest("hex");
}

/**
 * The attributes a ReceiveMessage asks for by `MessageAttributeNames`: `All` or `.*`, exact names, and prefixes
 * written `prefix.*`.
 */
export function selectMessageAttributes(
  attributes: MessageAttributes,
  requested: readonly string[],
): MessageAttributes {
  if (requested.length === 0) return {};
  const all = requested.some((name) => name === "All" || name === ".*");
  const selected: MessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    const wanted =
      all ||
      requested.some((pattern) =>
        pattern.endsWith(".*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name,
      );
    if (wanted) selected[name] = value;
  }
  return selected;
}
