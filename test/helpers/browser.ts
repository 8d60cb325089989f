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
 * A local Chromium: CHROME_PATH when set (the GitHub workflow sets it to the runner's Chrome), else Debian's (which
 * `npm test`'s pretest installs as root with apt), or a Chrome at its usual place. Playwright never downloads one.
 */
export const CHROMIUM_PATH =
  [
    process.env.CHROME_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
  ].find((path): path is string => Boolean(path) && existsSync(path as string)) ?? "/usr/bin/chromium";
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
