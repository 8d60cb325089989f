import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LogsApi, type LogsApiDependencies } from "../../src/engine/logs/api.ts";
import type { AnyOperation } from "../../src/engine/service/index.ts";
import { type SqsOperationContext, sqsOperations } from "../../src/engine/sqs/operations.ts";

/**
 * SQS and CloudWatch Logs write each operation once, in the one declaration form (issue 23): an `operation({
 * name, action?, resource, input: zod, handler })` call in the service's source, its members listed by its zod
 * object schema, no per-service operation type or member table converted later, and no query rewrite keyed by an
 * operation's name outside its declaration. This fails if either service goes back to an intermediate form.
 */

const services: Array<{ name: string; folder: string; operations: readonly AnyOperation[]; count: number }> =
  [
    {
      name: "SQS",
      folder: "src/engine/sqs",
      operations: sqsOperations({} as SqsOperationContext),
      count: 21,
    },
    {
      name: "CloudWatch Logs",
      folder: "src/engine/logs",
      operations: new LogsApi({} as LogsApiDependencies).operations,
      count: 17,
    },
  ];

const sources = (folder: string): Array<{ file: string; text: string }> =>
  readdirSync(folder)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file, text: readFileSync(join(folder, file), "utf8") }));

describe.each(services)("$name's declaration", ({ folder, operations, count }) => {
  it("lists each operation once, each with a zod object input naming its members and a handler", () => {
    expect(operations).toHaveLength(count);
    expect(new Set(operations.map((operation) => operation.name)).size).toBe(count);
    for (const operation of operations) {
      expect(operation.input, `${operation.name}'s input`).toBeInstanceOf(z.ZodObject);
      expect(typeof operation.handler, `${operation.name}'s handler`).toBe("function");
      expect(typeof operation.resource, `${operation.name}'s resource`).toBe("function");
    }
  });

  it("writes every operation as its own operation({ ... }) call, not mapped from a table", () => {
    const calls = sources(folder).reduce(
      (sum, { text }) => sum + (text.match(/\boperation\(\{\n\s*name: "[A-Za-z]+",/g) ?? []).length,
      0,
    );
    expect(calls).toBe(count);
  });

  it("keeps no member table, operation type or per-operation wrapper beside the declarations", () => {
    const leftovers = sources(folder).flatMap(({ file, text }) =>
      [
        /Record<string, readonly string\[\]>/,
        /OperationMembers\b/,
        /\binterface \w+Operation\b/,
        /\b(sqs|logs)Operation\(/,
        /\.map\(\([^)]*\) =>\s*operation\(/,
      ]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${file}: ${pattern}`),
    );
    expect(leftovers).toEqual([]);
  });

  it("keys no protocol rewrite by an operation's name outside its declaration", () => {
    const names = operations.map((operation) => operation.name).join("|");
    const byName = new RegExp(`(===|!==|case|includes\\()\\s*\\[?"(${names})"`);
    // section.ts is the service-level section the edge reads before any decoding (its per-operation body limit).
    const keyed = sources(folder)
      .filter(({ file, text }) => file !== "section.ts" && byName.test(text))
      .map(({ file }) => file);
    expect(keyed).toEqual([]);
  });
});
