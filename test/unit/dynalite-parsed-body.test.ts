import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { parsedBodyTaken } from "../../src/engine/dynamodb/dynalite-rewrites.ts";
import { compileDynaliteModule, dynaliteSource } from "../helpers/dynalite-module.ts";

type Handler = (req: unknown, res: unknown) => void;

/** dynalite's request handler from its own index.js, rewritten, on a fresh in-memory store. */
function rewrittenHandler(): { handler: Handler; close(): void } {
  const dynalite = compileDynaliteModule<(options: object) => EventEmitter & { close(): void }>(
    "index.js",
    parsedBodyTaken,
  );
  const server = dynalite({});
  return { handler: server.listeners("request")[0] as Handler, close: () => server.close() };
}

/** One ListTables request through `handler` with `body`, and the engine's parse of it when given. */
function listTables(handler: Handler, body: string, parsedBody?: unknown) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve) => {
    const headers = {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "DynamoDB_20120810.ListTables",
      "x-amz-date": "20260101T000000Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
    };
    const req = Object.assign(new EventEmitter(), { headers, method: "POST", url: "/", parsedBody });
    const res = {
      statusCode: 200,
      setHeader() {},
      end(answer?: string) {
        resolve({ status: res.statusCode, body: JSON.parse(answer ?? "{}") });
      },
    };
    handler(req, res);
    req.emit("data", Buffer.from(body));
    req.emit("end");
  });
}

describe("dynalite takes the engine's parse of a request body", () => {
  it("rewrites dynalite's own request handler", () => {
    expect(dynaliteSource("index.js")).toContain("data = JSON.parse(body)");
    expect(parsedBodyTaken(dynaliteSource("index.js"))).toContain("req.parsedBody");
  });

  it("reads the request from the parse it is given, and parses the body itself without one", async () => {
    const { handler, close } = rewrittenHandler();
    try {
      // Given a parse, dynalite reads it (a Limit of 0 is refused) and not the text ({}).
      const given = await listTables(handler, "{}", { Limit: 0 });
      expect(given.status).toBe(400);
      expect(given.body.message).toMatch(/limit/i);
      // Without one, as before: the text decides.
      expect(await listTables(handler, "{}")).toEqual({ status: 200, body: { TableNames: [] } });
      expect((await listTables(handler, '{"Limit":0}')).body.message).toBe(given.body.message);
      expect(await listTables(handler, "not json")).toEqual({
        status: 400,
        body: { __type: "com.amazon.coral.service#SerializationException" },
      });
    } finally {
      close();
    }
  });

  it("refuses a source whose handler no longer parses its body so", () => {
    expect(() => parsedBodyTaken("data = JSON.parse(body.toString())")).toThrow(
      /cannot take the engine's parse/,
    );
  });
});
