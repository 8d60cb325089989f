import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** dynalite's package directory, with a trailing slash. */
const dynaliteRoot = require.resolve("dynalite").replace(/index\.js$/, "");

/** The source of one of dynalite's files, `db/index.js` or `index.js`. */
export function dynaliteSource(file: string): string {
  return readFileSync(`${dynaliteRoot}${file}`, "utf8");
}

/**
 * One of dynalite's own files compiled afresh as a module of its own (its relative requires resolve as usual),
 * from its source as it is or as `rewrite` makes it: what the engine's rewrites load, beside the original.
 */
export function compileDynaliteModule<T>(file: string, rewrite: (source: string) => string = (s) => s): T {
  const path = `${dynaliteRoot}${file}`;
  const Module = require("node:module") as {
    new (
      id: string,
    ): { exports: T; filename: string; paths: string[]; _compile(source: string, path: string): void };
    _nodeModulePaths(path: string): string[];
  };
  const compiled = new Module(path);
  compiled.filename = path;
  compiled.paths = Module._nodeModulePaths(path);
  compiled._compile(rewrite(readFileSync(path, "utf8")), path);
  return compiled.exports;
}
