import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pageDir = join(dirname(fileURLToPath(import.meta.url)), "page");

let template: string | undefined;

/** index.html with styles.css and client.js inlined: one self-contained document, no external assets. */
function pageTemplate(): string {
  if (template === undefined) {
    const read = (name: string) => readFileSync(join(pageDir, name), "utf8");
    // Function replacers: `$` sequences in the sources must not be read as replacement patterns.
    template = read("index.html")
      .replace("/*STYLES*/", () => read("styles.css"))
      .replace("/*CLIENT*/", () => read("client.js"));
  }
  return template;
}

/**
 * The dashboard document and the headers to serve it with (a nonce-based CSP: inline script, nothing else).
 * `writable: false` renders it read-only (no upload control, no re-drive), default writable.
 */
export function renderPage(options: { imageOrigin: string; writable?: boolean }): {
  html: string;
  headers: Record<string, string>;
} {
  const nonce = randomBytes(16).toString("base64");
  const html = pageTemplate()
    .replace(/__NONCE__/g, nonce)
    .replace("__WRITABLE__", options.writable === false ? "false" : "true");
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
    `img-src 'self' ${options.imageOrigin} data:`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    html,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": csp,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  };
}
