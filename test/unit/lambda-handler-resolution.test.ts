import { describe, expect, it } from "vitest";
import { FunctionInitError } from "../../src/engine/lambda/errors.ts";
import { type HandlerFileSystem, resolveHandler } from "../../src/engine/lambda/handler-resolution.ts";

/** An in-memory task root: paths relative to /task mapped to their contents. */
function fileSystem(files: Record<string, string>): HandlerFileSystem {
  const absolute = new Map(Object.entries(files).map(([path, text]) => [`/task/${path}`, text]));
  return { isFile: (path) => absolute.has(path), readText: (path) => absolute.get(path) };
}

describe("Function: resolveHandler", () => {
  const table: Array<[label: string, files: Record<string, string>, handler: string, expected: object]> = [
    ["a CommonJS .js file", { "index.js": "" }, "index.handler", { file: "/task/index.js", format: "cjs" }],
    [
      "an ESM .js file under type module",
      { "index.js": "", "package.json": '{"type":"module"}' },
      "index.handler",
      { file: "/task/index.js", format: "esm" },
    ],
    [
      "a .js file whose package.json says commonjs",
      { "index.js": "", "package.json": '{"type":"commonjs"}' },
      "index.handler",
      { file: "/task/index.js", format: "cjs" },
    ],
    ["an .mjs file", { "index.mjs": "" }, "index.handler", { file: "/task/index.mjs", format: "esm" }],
    [
      "a .cjs file",
      { "app.cjs": "" },
      "app.main",
      { file: "/task/app.cjs", format: "cjs", exportPath: ["main"] },
    ],
    [
      "a .js before an .mjs",
      { "index.js": "", "index.mjs": "" },
      "index.handler",
      { file: "/task/index.js" },
    ],
    [
      "a nested path with the nearest package.json",
      { "src/lib/app.js": "", "src/package.json": '{"type":"module"}' },
      "src/lib/app.handler",
      { file: "/task/src/lib/app.js", format: "esm" },
    ],
    [
      "a nested export path",
      { "index.mjs": "" },
      "index.handlers.resize",
      { file: "/task/index.mjs", exportPath: ["handlers", "resize"] },
    ],
  ];

  it.each(table)("resolves %s", (_label, files, handler, expected) => {
    // Act
    const resolved = resolveHandler("/task", handler, fileSystem(files));

    // Assess
    expect(resolved).toMatchObject(expected);
  });

  const failures: Array<[handler: string, errorType: string]> = [
    ["index", "Runtime.MalformedHandlerName"],
    ["index.", "Runtime.MalformedHandlerName"],
    [".handler", "Runtime.MalformedHandlerName"],
    ["../outside.handler", "Runtime.MalformedHandlerName"],
    ["/etc/passwd.handler", "Runtime.MalformedHandlerName"],
    ["missing.handler", "Runtime.ImportModuleError"],
  ];

  it.each(failures)("rejects %s with %s", (handler, errorType) => {
    // Prepare
    const files = fileSystem({ "index.js": "" });

    // Act
    const attempt = () => resolveHandler("/task", handler, files);

    // Assess
    expect(attempt).toThrow(FunctionInitError);
    try {
      attempt();
    } catch (error) {
      expect((error as FunctionInitError).errorType).toBe(errorType);
    }
  });
});
