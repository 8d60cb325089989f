import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cacheParses, memoizeRules } from "../../src/engine/dynamodb/dynalite-rewrites.ts";

const require = createRequire(import.meta.url);
const dynaliteRoot = require.resolve("dynalite").replace(/index\.js$/, "");

type Parse = Parameters<typeof cacheParses>[0];

/** dynalite's parser as the engine installs it (memoised rules), compiled apart from Node's module cache. */
function parserOf(file: string): Parse {
  const module = { exports: {} as { parse: Parse } };
  new Function("module", "exports", memoizeRules(readFileSync(`${dynaliteRoot}db/${file}`, "utf8")))(
    module,
    module.exports,
  );
  return module.exports.parse;
}

const conditionParse = parserOf("conditionParser.js");
const projectionParse = parserOf("projectionParser.js");
// dynalite's own reserved-word check and comparison, as its validations pass them.
const reserved = new Set(["NAME", "STATUS", "SIZE", "VALUE", "DATA"]);
const fixed = { isReserved: (name: string) => reserved.has(name.toUpperCase()), compare: () => false };

interface Request {
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

function contextOf(request: Request) {
  const unused = (record: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.keys(record ?? {}).map((key) => [key, true]));
  return {
    ...fixed,
    attrNames: request.names,
    attrVals: request.values,
    unusedAttrNames: unused(request.names),
    unusedAttrVals: unused(request.values),
  };
}

/** What dynalite's validation does with a parser: a thrown error becomes its message. */
function outcome(parse: Parse, input: string, context: ReturnType<typeof contextOf>) {
  try {
    return { result: parse(input, { context }) };
  } catch (error) {
    return { thrown: (error as Error).message };
  }
}

function counting(parse: Parse): Parse & { calls: number } {
  const counted = Object.assign(
    (input: string, options: Parameters<Parse>[1]) => {
      counted.calls += 1;
      return parse(input, options);
    },
    { calls: 0 },
  );
  return counted;
}

describe("dynalite's expression parses, cached", () => {
  it("answers the pipeline's repeated condition without parsing again, with the same result each time", () => {
    const underlying = counting(conditionParse);
    const cached = cacheParses(underlying);
    const expression = "attribute_not_exists(PK) AND attribute_not_exists(SK)";

    const first = outcome(cached, expression, contextOf({}));
    const second = outcome(cached, expression, contextOf({}));

    expect(underlying.calls).toBe(1);
    expect(second).toEqual(first);
    expect(first).toEqual(outcome(conditionParse, expression, contextOf({})));
  });

  it("gives every caller its own copy: a caller changing its result changes no later answer", () => {
    const cached = cacheParses(conditionParse);
    const request = { values: { ":v": { S: "x" } } };
    const first = cached("a = :v", { context: contextOf(request) }) as { expression: { args: unknown[] } };
    first.expression.args.length = 0;

    expect(cached("a = :v", { context: contextOf(request) })).toEqual(
      conditionParse("a = :v", { context: contextOf(request) }),
    );
  });

  it("replays which names and values an expression used, also when another expression of the request used some first", () => {
    const request = {
      names: { "#a": "a", "#b": "b", "#c": "c" },
      values: { ":v": { N: "1" }, ":w": { N: "2" } },
    };
    const condition = "#a = :v AND #b <> :v";
    const projection = "#b, #c";
    const cachedCondition = cacheParses(conditionParse);
    const cachedProjection = cacheParses(projectionParse);
    // Warm both caches with the expressions in the other order, so the hits replay what the misses recorded.
    const warm = contextOf(request);
    cachedProjection(projection, { context: warm });
    cachedCondition(condition, { context: warm });

    const own = contextOf(request);
    conditionParse(condition, { context: own });
    projectionParse(projection, { context: own });
    const fromCache = contextOf(request);
    cachedCondition(condition, { context: fromCache });
    cachedProjection(projection, { context: fromCache });

    expect(fromCache.unusedAttrNames).toEqual(own.unusedAttrNames);
    expect(fromCache.unusedAttrVals).toEqual({ ":w": true });
    expect(fromCache.unusedAttrVals).toEqual(own.unusedAttrVals);
  });

  it("answers a semantic error as dynalite does, and parses a syntax error again each time", () => {
    const underlying = counting(conditionParse);
    const cached = cacheParses(underlying);
    for (const [input, request] of [
      ["#missing = :v", { values: { ":v": { S: "x" } } }],
      ["size = :v", { values: { ":v": { S: "x" } } }],
      ["no_such_function(a)", {}],
    ] as const) {
      expect(outcome(cached, input, contextOf(request))).toEqual(
        outcome(conditionParse, input, contextOf(request)),
      );
      expect(outcome(cached, input, contextOf(request))).toEqual(
        outcome(conditionParse, input, contextOf(request)),
      );
    }
    expect(underlying.calls).toBe(3);

    expect(outcome(cached, "a = = b", contextOf({})).thrown).toMatch(/Expected/);
    expect(outcome(cached, "a = = b", contextOf({})).thrown).toMatch(/Expected/);
    expect(underlying.calls).toBe(5);
  });

  it("keeps at most 256 expressions, the oldest leaving first, and none whose key is over 4 KiB", () => {
    const underlying = counting(conditionParse);
    const cached = cacheParses(underlying);
    for (let i = 0; i < 257; i++) cached(`a${i} = b`, { context: contextOf({}) });
    cached("a256 = b", { context: contextOf({}) });
    expect(underlying.calls).toBe(257);
    cached("a0 = b", { context: contextOf({}) });
    expect(underlying.calls).toBe(258);

    const large = { values: { ":v": { S: "x".repeat(5000) } } };
    cached("a = :v", { context: contextOf(large) });
    cached("a = :v", { context: contextOf(large) });
    expect(underlying.calls).toBe(260);
  });

  it("agrees with dynalite's own parser on generated condition expressions, results and unused names alike", () => {
    const name = fc.constantFrom("a", "b", "#a", "#b", "#z", "size", "status", "a.b", "a[0]", "#a.#b");
    const value = fc.constantFrom(":v", ":w", ":x", ":big");
    const operand = fc.oneof(
      name,
      value,
      name.map((n) => `size(${n})`),
    );
    const comparison = fc
      .tuple(operand, fc.constantFrom("=", "<>", "<", "<=", ">", ">="), operand)
      .map(([l, op, r]) => `${l} ${op} ${r}`);
    const call = fc.oneof(
      name.map((n) => `attribute_exists(${n})`),
      name.map((n) => `attribute_not_exists(${n})`),
      fc.tuple(name, value).map(([n, v]) => `begins_with(${n}, ${v})`),
      fc.tuple(name, value).map(([n, v]) => `attribute_type(${n}, ${v})`),
      fc.tuple(name, value, value).map(([n, v, w]) => `${n} BETWEEN ${v} AND ${w}`),
      fc.tuple(name, value, value).map(([n, v, w]) => `${n} IN (${v}, ${w})`),
    );
    const { condition } = fc.letrec((tie) => ({
      condition: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        comparison,
        call,
        fc
          .tuple(tie("condition"), fc.constantFrom("AND", "OR"), tie("condition"))
          .map(([l, op, r]) => `${l} ${op} ${r}`),
        tie("condition").map((c) => `NOT ${c}`),
        tie("condition").map((c) => `(${c})`),
      ),
    }));
    const request = fc.record(
      {
        names: fc
          .subarray(["#a", "#b", "#c"])
          .map((keys) => Object.fromEntries(keys.map((k) => [k, k.slice(1)]))),
        values: fc
          .subarray([":v", ":w", ":x", ":big"])
          .map((keys) =>
            Object.fromEntries(
              keys.map((k) => [k, k === ":x" ? { N: "3" } : k === ":big" ? { S: "S" } : { S: k }]),
            ),
          ),
      },
      { requiredKeys: [] },
    );
    const cached = cacheParses(conditionParse);
    fc.assert(
      fc.property(condition, request, fc.boolean(), (input, req, twice) => {
        const own = contextOf(req);
        const expected = outcome(conditionParse, input, own);
        if (twice) outcome(cached, input, contextOf(req));
        const fromCache = contextOf(req);
        expect(outcome(cached, input, fromCache)).toEqual(expected);
        expect(fromCache.unusedAttrNames).toEqual(own.unusedAttrNames);
        expect(fromCache.unusedAttrVals).toEqual(own.unusedAttrVals);
      }),
      { numRuns: 2000 },
    );
  });
});
