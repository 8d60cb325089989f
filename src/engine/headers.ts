import type { IncomingHttpHeaders } from "node:http";

/** A header's value, the first where it was sent more than once (Node gives an array for a repeated header). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
