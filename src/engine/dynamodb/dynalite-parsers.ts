import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * dynalite's expression parsers (PEG.js 0.10, generated without `--cache`) backtrack exponentially on nested
 * parentheses: `(a = :v AND (a = :v AND (...)))` ten levels deep, 130 bytes, held the event loop for over two
 * minutes. Before dynalite is loaded, each parser's source is rewritten so that every rule remembers its result per
 * input position (what PEG.js's own `cache` option generates: packrat parsing, linear in the input) and put in
 * Node's module cache in place of the original, so dynalite's `require('../db/conditionParser')` gets it.
 */

const parserFiles = ["conditionParser.js", "projectionParser.js", "updateParser.js"];
const require = createRequire(import.meta.url);

let installed = false;

/** Installs the memoised parsers (and pooled request ids) once per process; safe to call before every dynalite start. */
export function installMemoizedDynaliteParsers(): void {
  if (installed) return;
  installed = true;
  const Module = require("node:module") as {
    new (id: string): CompiledModule;
    _nodeModulePaths(path: string): string[];
  };
  const dynaliteRoot = require.resolve("dynalite").replace(/index\.js$/, "");
  const install = (path: string, rewrite: (source: string) => string) => {
    const compiled = new Module(path);
    compiled.filename = path;
    compiled.paths = Module._nodeModulePaths(path);
    compiled._compile(rewrite(readFileSync(path, "utf8")), path);
    compiled.loaded = true;
    require.cache[path] = compiled as unknown as NodeJS.Module;
  };
  for (const file of parserFiles) install(`${dynaliteRoot}db/${file}`, memoizeRules);
  install(`${dynaliteRoot}index.js`, pooledRequestIds);
}

/**
 * dynalite draws each response's 52-character request id from `crypto.randomBytes(39)`: a native job per request,
 * 6.5 µs here against 0.6 µs from a pool, on every DynamoDB call of the pipeline. The rewrite takes the 39 bytes
 * from a pool of 256 ids' worth, refilled by the same `randomBytes`, so ids stay as random and as long. Throws when
 * the source lacks the call (a dynalite upgrade), so the change is noticed rather than silently lost.
 */
export function pooledRequestIds(source: string): string {
  const call = "var bytes = crypto.randomBytes(39)";
  if (!source.includes("function rand52CharId") || !source.includes(call))
    throw new Error(
      "dynalite's rand52CharId does not draw crypto.randomBytes(39); cannot pool its request ids",
    );
  const pool = [
    "var requestIdPool = Buffer.alloc(0), requestIdAt = 0",
    "function pooledRandom39 () {",
    "  if (requestIdAt + 39 > requestIdPool.length) { requestIdPool = crypto.randomBytes(39 * 256); requestIdAt = 0 }",
    "  requestIdAt += 39",
    "  return requestIdPool.subarray(requestIdAt - 39, requestIdAt)",
    "}",
    "",
  ].join("\n");
  return source
    .replace("function rand52CharId", `${pool}function rand52CharId`)
    .replace(call, "var bytes = pooledRandom39()");
}

interface CompiledModule {
  filename: string;
  paths: string[];
  loaded: boolean;
  _compile(source: string, path: string): void;
}

/**
 * Wraps every rule function of a PEG.js 0.10 parser (`  function peg$parseName() {`) in a lookup keyed by rule
 * and position; the table is made per `parse` call. Throws when the source does not look like one (a dynalite
 * upgrade regenerating its parsers differently), so the change is noticed rather than silently lost.
 */
export function memoizeRules(source: string): string {
  let rules = 0;
  const wrapped = source.replace(/^ {2}function peg\$parse(\w+)\(\) \{$/gm, (_match, name: string) => {
    const index = rules++;
    return [
      `  function peg$parse${name}() {`,
      `    var key = peg$currPos * PEG_RULE_COUNT + ${index}, cached = peg$memo.get(key);`,
      "    if (cached !== undefined) { peg$currPos = cached.nextPos; return cached.result; }",
      `    var result = peg$parse${name}$uncached();`,
      "    peg$memo.set(key, { nextPos: peg$currPos, result: result });",
      "    return result;",
      "  }",
      "",
      `  function peg$parse${name}$uncached() {`,
    ].join("\n");
  });
  const entry = "function peg$parse(input, options) {\n";
  if (rules === 0 || !wrapped.includes(entry))
    throw new Error("dynalite's expression parser is not a PEG.js 0.10 parser; cannot memoise it");
  return wrapped
    .replace(entry, `${entry}  var peg$memo = new Map();\n`)
    .replaceAll("PEG_RULE_COUNT", String(rules));
}
