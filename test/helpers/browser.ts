import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

/**
 * Flags for Debian's Chromium as root in a sandbox with no network: without the background-networking ones it
 * keeps trying (and failing) to reach Google's hosts. Launch with executablePath /usr/bin/chromium.
 */
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A local Chromium: Debian's (which `npm test`'s pretest installs as root with apt), or the Chrome that GitHub's
 * Ubuntu runners carry. Playwright never downloads one.
 */
export const CHROMIUM_PATH =
  ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((path) =>
    existsSync(path),
  ) ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Headless Chromium with a fresh profile in `profileDir`, from the local binary (never a download). */
export function launchChromium(
  profileDir: string,
  options: Omit<
    Parameters<typeof chromium.launchPersistentContext>[1],
    "executablePath" | "headless" | "args"
  > = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumArgs,
    ...options,
  });
}
