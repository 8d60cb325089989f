/**
 * The one XML writer of the engine's protocols (query answers, rest-xml answers and errors). Our own rather than
 * a library's because S3 keys may hold any character: `\r` and other control characters must survive as
 * character references, which general-purpose builders drop or write raw.
 */

/** A value in an XML document: objects become nested elements, arrays repeat the element, undefined is omitted. */
type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/**
 * `<?xml …?>` and `<root xmlns="namespace">content</root>`; `content` is an object of child elements (a plain
 * record of the same shape is accepted, `null` omitted like `undefined`) or text.
 *
 * @example toXml("GetRoleResponse", { GetRoleResult: { Role: { RoleName: "r" } } }, IAM_NAMESPACE)
 */
export function toXml(
  root: string,
  content: XmlObject | Record<string, unknown> | string,
  namespace?: string,
): string {
  const attributes = namespace === undefined ? "" : ` xmlns="${escapeXml(namespace)}"`;
  const inner = typeof content === "string" ? escapeXml(content) : renderChildren(content);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attributes}>${inner}</${root}>`;
}

function renderChildren(object: Record<string, unknown>): string {
  let out = "";
  for (const [name, value] of Object.entries(object)) out += renderElement(name, value);
  return out;
}

function renderElement(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((item) => renderElement(name, item)).join("");
  if (typeof value === "object")
    return `<${name}>${renderChildren(value as Record<string, unknown>)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Escapes text content; carriage returns and control characters become numeric references. */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
  return text.replace(/[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (char) => {
    switch (char) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#${char.charCodeAt(0)};`;
    }
  });
}
