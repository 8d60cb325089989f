import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRequestTarget } from "../../src/engine/request-target.ts";

/** What the edge read before: WHATWG URL against a dummy base (undefined where that threw). */
function byUrl(target: string) {
  try {
    const url = new URL(target, "http://edge");
    return { pathname: url.pathname, query: [...url.searchParams] };
  } catch {
    return undefined;
  }
}

const targetChars = fc.constantFrom(
  ..."abcXYZ019-_.~!$&'()*+,;=:@/%?#\\ \"<>`{}|^[]é\u0000\u007f".split(""),
  "%2e",
  "%2E",
  "%20",
  "..",
  "./",
  "/..",
  "%",
  "+",
);

/** Any ASCII character, and a few past it (Latin-1, a snowman, a lone surrogate half). */
const asciiChar = fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code));
const otherChar = fc.constantFrom("\u00c3", "\u00a9", "\u2603", "\ud83d");

describe("parseRequestTarget", () => {
  it("reads the path and the query as WHATWG URL does, for any target", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(targetChars, asciiChar, otherChar), { maxLength: 24 }), (parts) => {
        const target = `/${parts.join("")}`;
        const parsed = parseRequestTarget(target);
        const queryAt = target.indexOf("?");
        expect(parsed.rawPath).toBe(queryAt === -1 ? target : target.slice(0, queryAt));
        const expected = byUrl(target);
        // Where URL threw (the edge then answered 500), the target is read as sent.
        if (expected) expect({ pathname: parsed.pathname, query: [...parsed.query] }).toEqual(expected);
        else expect(parsed.pathname).toBe(parsed.rawPath);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads a query with a character past ASCII as URL does (seed 1429830592 of the property above)", () => {
    expect([...parseRequestTarget("/?%aa\u00e9").query]).toEqual([
      ...new URL("/?%aa\u00e9", "http://edge").searchParams,
    ]);
    expect([...parseRequestTarget("/?k=\u00c3\u00a9").query]).toEqual([["k", "\u00c3\u00a9"]]);
  });

  it("reads a target URL cannot parse as it was sent, rather than throwing", () => {
    expect(() => new URL("//..]", "http://edge")).toThrow();
    expect(parseRequestTarget("//..]?a=1")).toMatchObject({ rawPath: "//..]", pathname: "//..]" });
  });

  it("keeps the raw path as sent and resolves what URL resolves", () => {
    expect(parseRequestTarget("/b/a%20b.jpg?versionId=1&x")).toMatchObject({
      rawPath: "/b/a%20b.jpg",
      pathname: "/b/a%20b.jpg",
    });
    expect(parseRequestTarget("/_pipeline/../b/k").pathname).toBe("/b/k");
    expect(parseRequestTarget("/_pipeline/%2e%2e/b").pathname).toBe("/b");
    // As URL reads them: `//` starts a host, and a backslash is a slash.
    expect(parseRequestTarget("//_pipeline/x").pathname).toBe("/x");
    expect(parseRequestTarget("/\\_pipeline/x").pathname).toBe("/x");
    expect([...parseRequestTarget("/b?list-type=2&prefix=a+b#frag").query]).toEqual([
      ["list-type", "2"],
      ["prefix", "a b"],
    ]);
  });

  it("reads `/` once for every request, and its shared query refuses to change", () => {
    const first = parseRequestTarget("/");
    expect(parseRequestTarget("/")).toBe(first);
    expect(first).toMatchObject({ rawPath: "/", pathname: "/" });
    expect([...first.query]).toEqual([]);
    expect(() => first.query.append("k", "v")).toThrow("a request's query is read-only");
    expect(() => first.query.set("k", "v")).toThrow("a request's query is read-only");
    expect(() => first.query.delete("k")).toThrow("a request's query is read-only");
    expect(() => first.query.sort()).toThrow("a request's query is read-only");
    expect([...parseRequestTarget("/").query]).toEqual([]);
  });
});
