import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const eventsDir = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/events");

/** Loads one event variant from test/fixtures/events (one JSON file per variant). */
export function loadEvent(name: string): unknown {
  return JSON.parse(readFileSync(join(eventsDir, `${name}.json`), "utf8"));
}
