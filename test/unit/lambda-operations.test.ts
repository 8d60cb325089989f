import { describe, expect, it } from "vitest";
import { findOperation, type LambdaOperation } from "../../src/engine/lambda/operations.ts";

const run = () => ({ status: 200 });
const operations: LambdaOperation[] = [
  { name: "ListFunctions", method: "GET", on: "collection", extra: "none", action: "ListFunctions", run },
  {
    name: "GetFunction",
    method: "GET",
    on: "function",
    extra: "none",
    qualified: true,
    action: "GetFunction",
    run,
  },
  {
    name: "GetPolicy",
    method: "GET",
    on: "function",
    sub: "policy",
    extra: "none",
    qualified: true,
    action: "GetPolicy",
    run,
  },
  {
    name: "RemovePermission",
    method: "DELETE",
    on: "function",
    sub: "policy",
    extra: "required",
    qualified: true,
    action: "RemovePermission",
    run,
  },
  { name: "DownloadCode", method: "GET", on: "path", sub: "package", extra: "required", run },
];

describe("Function: findOperation", () => {
  it("picks the collection, a function, or a sub-resource by method and path", () => {
    // Act
    const list = findOperation(operations, "GET", "", undefined, undefined);
    const get = findOperation(operations, "GET", "f", undefined, undefined);
    const policy = findOperation(operations, "GET", "f", "policy", undefined);
    const remove = findOperation(operations, "DELETE", "f", "policy", "sid");
    const download = findOperation(operations, "GET", "f", "package", "abc.zip");

    // Assess
    expect([list, get, policy, remove, download].map((operation) => operation?.name)).toEqual([
      "ListFunctions",
      "GetFunction",
      "GetPolicy",
      "RemovePermission",
      "DownloadCode",
    ]);
  });

  it("finds nothing for an unknown method or sub-resource, or a segment an operation does not take", () => {
    // Act
    const wrongMethod = findOperation(operations, "PATCH", "f", undefined, undefined);
    const unknownSub = findOperation(operations, "GET", "f", "aliases", undefined);
    const missingStatement = findOperation(operations, "DELETE", "f", "policy", undefined);
    const extraSegment = findOperation(operations, "GET", "f", "policy", "sid");

    // Assess
    expect([wrongMethod, unknownSub, missingStatement, extraSegment]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
