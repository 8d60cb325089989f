import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const eventsDir = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/events");

/** Loads one event variant from test/fixtures/events (one JSON file per variant). */
export function loadEvent(name: string): unknown {
  return JSON.parse(readFileSync(join(eventsDir, `${name}.json`), "utf8"));
}

/** Describes a JSON value by its keys and value types, recursively (values themselves are ignored). */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shapeOf(inner)]),
    );
  }
  return value === null ? "null" : typeof value;
}
