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
