import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { compileDynaliteFile } from "../../src/engine/dynamodb/dynalite-rewrites.ts";

/** The source of one of dynalite's files, `db/index.js` or `index.js`. */
export function dynaliteSource(file: string): string {
  const dynaliteRoot = createRequire(import.meta.url)
    .resolve("dynalite")
    .replace(/index\.js$/, "");
  return readFileSync(`${dynaliteRoot}${file}`, "utf8");
}

/**
 * One of dynalite's own files compiled afresh as a module of its own, as the engine's install compiles it, from its
 * source as it is or as `rewrite` makes it: what the engine's rewrites load, beside the original.
 */
export function compileDynaliteModule<T>(file: string, rewrite: (source: string) => string = (s) => s): T {
  return compileDynaliteFile(file, rewrite).exports as T;
}
