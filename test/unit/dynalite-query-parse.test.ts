import { EventEmitter } from "node:events";
import url from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { queryParsedOnlyWhenPresent } from "../../src/engine/dynamodb/dynalite-rewrites.ts";
import { compileDynaliteModule, dynaliteSource } from "../helpers/dynalite-module.ts";

const original = "var query = url.parse(req.url, true).query";

/** The statement as dynalite has it, or as the rewrite makes it, as a function of `req.url`. */
const queryOf = (statement: string) =>
  new Function("url", "req", `${statement}\nreturn query`) as (
    parser: typeof url,
    req: { url: string },
  ) => Record<string, unknown>;

type Handler = (req: unknown, res: unknown) => void;

/** dynalite's request handler from its own index.js, rewritten, on a fresh in-memory store. */
function rewrittenHandler(): { handler: Handler; close(): void } {
  const dynalite = compileDynaliteModule<(options: object) => EventEmitter & { close(): void }>(
    "index.js",
    queryParsedOnlyWhenPresent,
  );
  const server = dynalite({});
  return { handler: server.listeners("request")[0] as Handler, close: () => server.close() };
}

/** One request through `handler`, as the engine's in-process dispatch sends it. */
function send(handler: Handler, path: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; body: string }>((resolve) => {
    const req = Object.assign(new EventEmitter(), { headers, method: "POST", url: path });
    const res = {
      statusCode: 200,
      setHeader() {},
      end(answer?: string) {
        resolve({ status: res.statusCode, body: answer ?? "" });
      },
    };
    handler(req, res);
    req.emit("data", Buffer.from(body));
    req.emit("end");
  });
}

const signed = {
  "content-type": "application/x-amz-json-1.0",
  "x-amz-target": "DynamoDB_20120810.ListTables",
  "x-amz-date": "20260101T000000Z",
  authorization:
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
};

describe("dynalite's request URL parsed only when it has a query", () => {
  it("rewrites dynalite's own request handler", () => {
    expect(dynaliteSource("index.js")).toContain(original);
    expect(queryParsedOnlyWhenPresent(dynaliteSource("index.js"))).not.toContain(original);
  });

  it("gives the query url.parse gives, for any path and query", () => {
    const before = queryOf(original);
    const after = queryOf(queryParsedOnlyWhenPresent(original));
    fc.assert(
      fc.property(
        fc.webPath(),
        fc.option(fc.webQueryParameters(), { nil: undefined }),
        fc.boolean(),
        (path, query, bareMark) => {
          const requestUrl = `/${path.replace(/^\//, "")}${query !== undefined ? `?${query}` : bareMark ? "?" : ""}`;
          const expected = before(url, { url: requestUrl });
          const actual = after(url, { url: requestUrl });
          expect(actual).toEqual(expected);
          expect(Object.getPrototypeOf(actual)).toBe(Object.getPrototypeOf(expected));
          expect("X-Amz-Algorithm" in actual).toBe("X-Amz-Algorithm" in expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("still refuses a request signed both in its query and its Authorization header", async () => {
    const { handler, close } = rewrittenHandler();
    try {
      const both = await send(handler, "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", signed, "{}");
      expect(both.status).toBe(400);
      expect(JSON.parse(both.body)).toMatchObject({
        __type: "com.amazon.coral.service#InvalidSignatureException",
        message: expect.stringContaining("Found both 'X-Amz-Algorithm'"),
      });
      const header = await send(handler, "/", signed, "{}");
      expect(header.status).toBe(200);
      expect(JSON.parse(header.body)).toEqual({ TableNames: [] });
    } finally {
      close();
    }
  });

  it("refuses a source whose handler no longer parses its URL so", () => {
    expect(() => queryParsedOnlyWhenPresent("var query = new URL(req.url).searchParams")).toThrow(
      /cannot skip the parse/,
    );
  });
});
