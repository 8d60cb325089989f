import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DashboardError } from "./errors.ts";

const dashboardDir = dirname(fileURLToPath(import.meta.url));
const pageDir = join(dashboardDir, "page");
/** The page script's entry: one typed module per panel under client/ (type-checked by `npm run typecheck`). */
const clientEntry = join(dashboardDir, "client/main.ts");

/**
 * Bundles the page script with esbuild. It runs on the first page request of a process (about 0.1 s) rather
 * than as a build step: a checkout serves the page with no step to remember, and never a stale bundle.
 */
async function bundleClient(): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [clientEntry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.text ?? "";
  // Inlined in a <script> element: a closing tag inside the code would end it early.
  if (/<\/script/i.test(code))
    throw new DashboardError("the dashboard script contains </script and cannot be inlined");
  return code;
}

let template: Promise<string> | undefined;

/** index.html with styles.css and the bundled script inlined: one self-contained document, no external assets. */
function pageTemplate(): Promise<string> {
  template ??= (async () => {
    const [html, styles, client] = await Promise.all([
      readFile(join(pageDir, "index.html"), "utf8"),
      readFile(join(pageDir, "styles.css"), "utf8"),
      bundleClient(),
    ]);
    // Function replacers: `$` sequences in the sources must not be read as replacement patterns.
    return html.replace("/*STYLES*/", () => styles).replace("/*CLIENT*/", () => client);
  })().catch((error: unknown) => {
    template = undefined; // the next request tries again
    throw new DashboardError(`the dashboard page could not be built: ${(error as Error).message}`, {
      cause: error,
    });
  });
  return template;
}

/**
 * The dashboard document and the headers to serve it with (a nonce-based CSP: inline script, nothing else).
 * `writable: false` renders it read-only (no upload control, no re-drive), default writable.
 */
export async function renderPage(options: { imageOrigin: string; writable?: boolean }): Promise<{
  html: string;
  headers: Record<string, string>;
}> {
  const nonce = randomBytes(16).toString("base64");
  const html = (await pageTemplate())
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
