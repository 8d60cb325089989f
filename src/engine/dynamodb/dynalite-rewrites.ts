import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * dynalite's sources as the engine loads them: before dynalite is first required, some of its modules are read,
 * rewritten and put in Node's module cache in place of the originals (its memoised expression parsers, pooled
 * request ids, cached table descriptions; each below). Every rewrite throws when the source lacks what it rewrites.
 *
 * dynalite's expression parsers (PEG.js 0.10, generated without `--cache`) backtrack exponentially on nested
 * parentheses: `(a = :v AND (a = :v AND (...)))` ten levels deep, 130 bytes, held the event loop for over two
 * minutes. Before dynalite is loaded, each parser's source is rewritten so that every rule remembers its result per
 * input position (what PEG.js's own `cache` option generates: packrat parsing, linear in the input) and put in
 * Node's module cache in place of the original, so dynalite's `require('../db/conditionParser')` gets it. Its
 * `parse` then answers a repeated expression from a cache ({@link cacheParses}).
 */

const parserFiles = ["conditionParser.js", "projectionParser.js", "updateParser.js"];
const require = createRequire(import.meta.url);

let installed = false;

/** Installs the rewritten modules once per process; safe to call before every dynalite start. */
export function installDynaliteRewrites(): void {
  if (installed) return;
  installed = true;
  const install = (file: string, rewrite: (source: string) => string) => {
    const compiled = compileDynaliteFile(file, rewrite);
    compiled.loaded = true;
    const parser = compiled.exports as { parse?: ExpressionParse };
    if (parser.parse) parser.parse = cacheParses(parser.parse);
    require.cache[compiled.filename] = compiled as unknown as NodeJS.Module;
  };
  for (const file of parserFiles) install(`db/${file}`, memoizeRules);
  // Before index.js, validations and actions, which all require it.
  install("db/index.js", (source) => callbacksOnNextTick(cachedTableDescriptions(source)));
  install("index.js", (source) => queryParsedOnlyWhenPresent(pooledRequestIds(source)));
}

/**
 * One of dynalite's files (`index.js`, `db/index.js`, ...) compiled afresh as a CommonJS module of its own from its
 * source as `rewrite` makes it, its relative requires resolving as the original's do; not put in Node's module
 * cache (the install does that; tests compile the original and the rewrite side by side).
 */
export function compileDynaliteFile(file: string, rewrite: (source: string) => string): CompiledModule {
  const Module = require("node:module") as {
    new (id: string): CompiledModule;
    _nodeModulePaths(path: string): string[];
  };
  const path = `${require.resolve("dynalite").replace(/index\.js$/, "")}${file}`;
  const compiled = new Module(path);
  compiled.filename = path;
  compiled.paths = Module._nodeModulePaths(path);
  compiled._compile(rewrite(readFileSync(path, "utf8")), path);
  return compiled;
}

/**
 * dynalite reads a table's description from its LevelDB and decodes its JSON on every item operation (`getTable` in
 * db/index.js), so each GetItem, PutItem, Query... pays a LevelDB get and a JSON decode for data that changes only
 * with CreateTable, UpdateTable and DeleteTable. The rewrite keeps the descriptions that item operations read (the
 * calls that pass no `checkStatus`), deep-frozen and shared by those reads, which only read them. Any write to the
 * table store (its `put`, `del` and `batch`: create, update, delete, the status timers, the removal of a damaged
 * entry) drops them all, when it is called and again when it completes, and a read that began before a write is
 * not kept. The calls of the control plane (DescribeTable, UpdateTable, DeleteTable, tags: `checkStatus === false`)
 * read as before, so UpdateTable and DeleteTable still change a private copy before writing it. Throws when the
 * source lacks what it rewrites (a dynalite upgrade), so the change is noticed rather than silently lost.
 */
export function cachedTableDescriptions(source: string): string {
  const tableStore = "  var tableDb = getSubDb('table')\n";
  const getTable = "  function getTable (name, checkStatus, cb) {\n";
  const cache = [
    "  var tableCache = new Map(), tableGeneration = 0",
    "  function dropTables () { tableGeneration++; tableCache.clear() }",
    "  ;[ 'put', 'del', 'batch' ].forEach(function (method) {",
    "    var write = tableDb[method]",
    "    tableDb[method] = function () {",
    "      var args = Array.prototype.slice.call(arguments), done = args[args.length - 1]",
    "      dropTables()",
    "      if (typeof done == 'function') args[args.length - 1] = function () { dropTables(); return done.apply(this, arguments) }",
    "      return write.apply(this, args)",
    "    }",
    "  })",
    "  function freezeDeep (value) {",
    "    if (value && typeof value == 'object' && !Object.isFrozen(value)) {",
    "      Object.freeze(value)",
    "      Object.keys(value).forEach(function (key) { freezeDeep(value[key]) })",
    "    }",
    "    return value",
    "  }",
    "",
  ].join("\n");
  const cachedGetTable = [
    getTable.trimEnd(),
    "    if (typeof checkStatus != 'function') return readTable(name, checkStatus, cb)",
    "    var cached = tableCache.get(name), generation = tableGeneration, done = checkStatus",
    "    if (cached !== undefined) return process.nextTick(done, null, cached)",
    "    readTable(name, function (err, table) {",
    "      if (!err && generation === tableGeneration) tableCache.set(name, freezeDeep(table))",
    "      done(err, table)",
    "    })",
    "  }",
    "",
    "  function readTable (name, checkStatus, cb) {",
    "",
  ].join("\n");
  return rewriteExactly(
    source,
    [
      [tableStore, `${tableStore}${cache}`],
      [getTable, cachedGetTable],
    ],
    "dynalite's db/index.js has no tableDb or getTable as expected; cannot cache table descriptions",
  );
}

/**
 * dynalite's LevelDB wrapper (db/index.js) answers every `get`, `put`, `del` and `batch` of a callback through
 * `setImmediate` once Level's promise settles, so every item read and write waits for the event loop's next check
 * phase (one more turn of the loop, and its poll, per DynamoDB call). The rewrite answers the settled ones through
 * `process.nextTick`, still outside the promise (an exception in the callback is uncaught either way) and still
 * after the caller's code: 2.4% of a GetItem's CPU and 3% of a conditional PutItem's through `up` on Node 24
 * (interleaved A/B, 3 rounds each, every round lower). The failures' `setImmediate` stays. Throws when the source
 * lacks what it rewrites (a dynalite upgrade).
 */
export function callbacksOnNextTick(source: string): string {
  const answers = [
    [
      ".then(value => setImmediate(callback, null, value))",
      ".then(value => process.nextTick(callback, null, value))",
    ],
    [".then(() => setImmediate(callback, null))", ".then(() => process.nextTick(callback, null))"],
  ] as const;
  return rewriteExactly(
    source,
    answers,
    "dynalite's LevelDB wrapper does not answer through setImmediate as expected; cannot rewrite it",
  );
}

/**
 * `source` with every occurrence of each `[original, replacement]` made, as literal text and in order. Throws
 * `failure` when an original is missing (a dynalite upgrade), so the change is noticed rather than silently lost.
 */
function rewriteExactly(
  source: string,
  edits: ReadonlyArray<readonly [string, string]>,
  failure: string,
): string {
  if (edits.some(([original]) => !source.includes(original))) throw new Error(failure);
  return edits.reduce((text, [original, replacement]) => text.split(original).join(replacement), source);
}

/**
 * dynalite draws each response's 52-character request id from `crypto.randomBytes(39)`: a native job per request,
 * 6.5 µs here against 0.6 µs from a pool, on every DynamoDB call of the pipeline. The rewrite takes the 39 bytes
 * from a pool of 256 ids' worth, refilled by the same `randomBytes`, so ids stay as random and as long. Throws when
 * the source lacks the call (a dynalite upgrade), so the change is noticed rather than silently lost.
 */
export function pooledRequestIds(source: string): string {
  const call = "var bytes = crypto.randomBytes(39)";
  const pool = [
    "var requestIdPool = Buffer.alloc(0), requestIdAt = 0",
    "function pooledRandom39 () {",
    "  if (requestIdAt + 39 > requestIdPool.length) { requestIdPool = crypto.randomBytes(39 * 256); requestIdAt = 0 }",
    "  requestIdAt += 39",
    "  return requestIdPool.subarray(requestIdAt - 39, requestIdAt)",
    "}",
    "",
  ].join("\n");
  return rewriteExactly(
    source,
    [
      ["function rand52CharId", `${pool}function rand52CharId`],
      [call, "var bytes = pooledRandom39()"],
    ],
    "dynalite's rand52CharId does not draw crypto.randomBytes(39); cannot pool its request ids",
  );
}

/**
 * dynalite's request handler parses the request's URL with `url.parse(req.url, true)` on every call, only to look
 * for a presigned query (`X-Amz-Algorithm`): about 8 µs of a GetItem's profile on Node 24, for a URL that is `/` in
 * all but a presigned request. The rewrite parses it only when it has a query, and otherwise gives the same empty,
 * prototype-less object `url.parse` gives. Throws when the source lacks the call (a dynalite upgrade).
 */
export function queryParsedOnlyWhenPresent(source: string): string {
  const call = "var query = url.parse(req.url, true).query";
  return rewriteExactly(
    source,
    [[call, "var query = req.url.indexOf('?') < 0 ? Object.create(null) : url.parse(req.url, true).query"]],
    "dynalite's request handler does not parse its URL as expected; cannot skip the parse",
  );
}

/** What dynalite's validation passes a parser (validations/index.js): the request's names and values, and the
 * names and values not used yet, which the parser deletes as it resolves them. */
interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, unknown>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  [other: string]: unknown;
}

type ExpressionParse = (input: string, options: { context: ParseContext }) => unknown;

/** The longest cache key kept: values that large are a new item's data, not a repeated expression. */
const MAX_CACHED_KEY_CHARS = 4096;
const CACHED_PARSES = 256;

/**
 * A parser's `parse` that answers a repeated expression from a cache. Every conditional write of the pipeline sends
 * the same `attribute_not_exists(PK) AND attribute_not_exists(SK)`, and dynalite parsed it anew each time: about
 * 100 µs over a bench run's first thousand parses (20 µs once the parser is optimised), and the parser was a fifth of
 * the engine's TurboFan compile time in a bench run (V8's `--log-function-events`).
 *
 * A parse depends only on the expression, the request's ExpressionAttributeNames and ExpressionAttributeValues
 * (dynalite's grammar reads nothing else from its context but two fixed functions), so those are the key. Its one
 * effect, deleting the names and values it resolves from the context's "unused" sets, is recorded on a miss (the
 * parse runs against private sets holding every name and value) and replayed on a hit. Each caller gets its own
 * copy of the result. Thrown syntax errors are not cached; keys longer than 4 KiB are not cached, and the cache
 * holds at most 256 entries (the oldest goes first), so it stays under about a megabyte.
 */
export function cacheParses(parse: ExpressionParse): ExpressionParse {
  const cache = new Map<string, { result: unknown; names: string[]; values: string[] }>();
  const use = (context: ParseContext, used: { names: string[]; values: string[] }) => {
    for (const name of used.names) delete context.unusedAttrNames?.[name];
    for (const value of used.values) delete context.unusedAttrVals?.[value];
  };
  return (input, options) => {
    const context = options.context;
    const key = `${input}\u0000${JSON.stringify(context.attrNames ?? null)}\u0000${JSON.stringify(context.attrVals ?? null)}`;
    const hit = cache.get(key);
    if (hit !== undefined) {
      use(context, hit);
      return structuredClone(hit.result);
    }
    const unusedNames = allTrue(context.attrNames);
    const unusedValues = allTrue(context.attrVals);
    let used = { names: [] as string[], values: [] as string[] };
    let result: unknown;
    try {
      result = parse(input, {
        ...options,
        context: { ...context, unusedAttrNames: unusedNames, unusedAttrVals: unusedValues },
      });
    } finally {
      // A syntax error is thrown after the rules before it resolved names: those are used, as without the cache.
      used = {
        names: Object.keys(context.attrNames ?? {}).filter((name) => !(name in unusedNames)),
        values: Object.keys(context.attrVals ?? {}).filter((name) => !(name in unusedValues)),
      };
      use(context, used);
    }
    const kept = key.length <= MAX_CACHED_KEY_CHARS ? cloneable(result) : undefined;
    if (kept !== undefined) {
      if (cache.size >= CACHED_PARSES) cache.delete(cache.keys().next().value as string);
      cache.set(key, { ...used, result: kept.copy });
    }
    return result;
  };
}

/** A copy of a parse's result, or undefined when it holds something structuredClone cannot copy (then not cached). */
function cloneable(result: unknown): { copy: unknown } | undefined {
  try {
    return { copy: structuredClone(result) };
  } catch {
    return undefined;
  }
}

function allTrue(record: Record<string, unknown> | undefined): Record<string, boolean> {
  const all: Record<string, boolean> = {};
  for (const key of Object.keys(record ?? {})) all[key] = true;
  return all;
}

interface CompiledModule {
  exports: unknown;
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
