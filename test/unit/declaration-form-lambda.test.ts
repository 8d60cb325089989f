import { describe, expect, it } from "vitest";
import { shapeMembers } from "../../scripts/lib/served-members.ts";
import { LambdaApi } from "../../src/engine/lambda/api.ts";
import { lambdaDeclaration } from "../helpers/lambda-declaration.ts";

/**
 * Issue 23's one declaration form, for Lambda: every operation is an `operation()` declaration with its route
 * (method and path, matched by the shared dispatcher), its IAM action and its zod input; no private router
 * (`resolve`), no intermediate operation type converted later (`sub`/`extra`/`on`/`run` entries).
 */

const declaration = new LambdaApi({} as ConstructorParameters<typeof LambdaApi>[0]).declaration();

/** The keys an operation declaration may have (service/declaration.ts's OperationDeclaration). */
const declarationKeys = ["name", "http", "action", "resource", "input", "handler", "decode", "encode"];

describe("Lambda's declaration form", () => {
  it("has no router of its own: the dispatcher matches the declared routes", () => {
    expect(declaration.resolve).toBeUndefined();
    expect(declaration.protocolHooks).toBeUndefined();
    expect(Object.keys(declaration.section.protocols)).toEqual(["restJson"]);
  });

  it("declares every operation with a route, an action and (but the code download) a zod input, and nothing else", () => {
    for (const operation of declaration.operations) {
      expect(
        Object.keys(operation).filter((key) => !declarationKeys.includes(key)),
        operation.name,
      ).toEqual([]);
      expect(operation.http?.path, operation.name).toMatch(/^\/20\d\d-\d\d-\d\d\/(functions|tags)(\/|$)/);
      if (operation.name === "DownloadCode") continue;
      expect(operation.action, operation.name).toMatch(/^lambda:[A-Za-z]+$/);
      expect(shapeMembers(operation.input), operation.name).toBeDefined();
    }
    const routes = declaration.operations.map(
      (operation) => `${operation.http?.method} ${operation.http?.path}`,
    );
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("reaches each declared operation by its own route through the shared dispatcher", async () => {
    // Arrange: each route with its labels filled in; the authorizer records the action each request reaches.
    const { send, asked } = lambdaDeclaration();
    const fn = encodeURIComponent("arn:aws:lambda:us-east-1:000000000000:function:ingest");
    const reached: string[] = [];

    // Act
    for (const operation of declaration.operations.filter((entry) => entry.action !== null)) {
      const path = (operation.http?.path ?? "")
        .replace("{FunctionName}", "ingest")
        .replace("{Resource}", fn)
        .replace(/\{\w+\}/g, "x");
      const before = asked.length;
      // CreateFunction names its function in the body.
      const body = operation.name === "CreateFunction" ? { body: { FunctionName: "f" } } : {};
      await send(operation.http?.method ?? "", path, body);
      reached.push(asked.slice(before)[0]?.split(" ")[0] ?? `nothing for ${operation.name}`);
    }

    // Assess
    expect(reached).toEqual(
      declaration.operations.filter((entry) => entry.action !== null).map((entry) => String(entry.action)),
    );
  });
});
