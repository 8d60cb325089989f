import { XMLBuilder } from "fast-xml-parser";

const xmlBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: false,
});

/** Serializes `{ Root: {...} }` to an XML document, with `namespace` as the root element's `xmlns`. */
export function toXml(rootName: string, body: Record<string, unknown>, namespace?: string): string {
  const root = namespace ? { "@_xmlns": namespace, ...body } : body;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xmlBuilder.build({ [rootName]: root })}`;
}
