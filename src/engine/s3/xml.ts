import { XMLParser } from "fast-xml-parser";
import { toXml, type XmlObject } from "../service/codecs/xml.ts";

/** The XML value types S3's renderers build (the shared writer's). */
export type { XmlObject } from "../service/codecs/xml.ts";

import { malformedXml } from "./errors.ts";

/** S3's XML namespace, on the root element of every response document. */
export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** S3's answers: the shared XML writer with S3's namespace on the root (left off with `namespace: false`). */
export function renderXml(
  root: string,
  content: XmlObject | string,
  options: { namespace?: boolean } = {},
): string {
  return toXml(root, content, options.namespace === false ? undefined : S3_NAMESPACE);
}

/** Elements that may repeat in S3 request bodies and must always parse as arrays. */
const repeatedElements = new Set([
  "CloudFunctionConfiguration",
  "LambdaFunctionConfiguration",
  "QueueConfiguration",
  "TopicConfiguration",
  "Event",
  "FilterRule",
  "Object",
  "Part",
  "Rule",
]);

// Values are not trimmed: object keys in DeleteObjects may start or end with spaces.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name) => repeatedElements.has(name),
});

/** Parses a request body; malformed XML is S3's MalformedXML error. */
export function parseRequestXml(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8").trim();
  if (text === "") throw malformedXml();
  try {
    const parsed = parser.parse(text, true) as Record<string, unknown>;
    delete parsed["?xml"];
    return parsed;
  } catch (cause) {
    throw Object.assign(malformedXml(), { cause });
  }
}

/** A child element as an object (absent, empty or text-only elements give `{}`). */
export function xmlChild(node: unknown, name: string): Record<string, unknown> {
  if (node === null || typeof node !== "object") return {};
  const value = (node as Record<string, unknown>)[name];
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A repeated child element as a list of objects. */
export function xmlChildren(node: unknown, name: string): Record<string, unknown>[] {
  if (node === null || typeof node !== "object") return [];
  const value = (node as Record<string, unknown>)[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item) =>
    item !== null && typeof item === "object" ? (item as Record<string, unknown>) : {},
  );
}

/** A child element's text, untrimmed; undefined when absent. */
export function xmlText(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== "object") return undefined;
  const value = (node as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "object" && !Array.isArray(value)) {
    const text = (value as Record<string, unknown>)["#text"];
    return typeof text === "string" ? text : "";
  }
  return String(value);
}

/** A list of a repeated child element's texts. */
export function xmlTexts(node: unknown, name: string): string[] {
  if (node === null || typeof node !== "object") return [];
  const value = (node as Record<string, unknown>)[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item) => (typeof item === "string" ? item : String(item ?? "")));
}
