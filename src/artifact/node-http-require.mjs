// An esbuild plugin shared by the function's build (src/artifact/build.ts) and the CLI's (cli/build.mjs), in plain
// JavaScript so that cli/build.mjs can load it without tsx.
import { readFile } from "node:fs/promises";

const handlerFile = /[\\/]@smithy[\\/]node-http-handler[\\/]dist-es[\\/]node-http-handler\.js$/;
const dynamicImport = 'await import("node:http")';

/**
 * The SDK's HTTP handler (ESM build) loads `node:http` with `await import()` on its first plain-HTTP request, that
 * is every request to an emulator. On Node 22 and later, making that module's ESM namespace reads its lazy
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters and so loads undici (nodejs/node#57649): about 45 ms of a
 * function's first invocation and of every CLI verb. The package's own CommonJS build loads it with
 * `require('node:http')`; this gives the bundles the same (the banner of both builds defines `require`). Fails the
 * build when the handler no longer has the import, so a changed SDK is noticed rather than silently unpatched.
 *
 * @type {import("esbuild").Plugin}
 */
export const nodeHttpByRequire = {
  name: "node-http-by-require",
  setup(build) {
    build.onLoad({ filter: handlerFile }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(dynamicImport))
        throw new Error(
          `${args.path} no longer has ${dynamicImport}: review src/artifact/node-http-require.mjs`,
        );
      return { contents: source.replaceAll(dynamicImport, 'require("node:http")'), loader: "js" };
    });
  },
};

/**
 * The same for the CLI's own `import ... from "node:http"` (the dashboard's server; the engine takes the module from
 * Node's registry, src/engine/node-http.ts): each static import made `pipeline up` build that ESM namespace, and so
 * load undici, at start. It would
 * cover the SDK's `import()` too, but a split bundle makes the module an `import()` resolves to a chunk of its own,
 * one more module to load on the first request; the rewrite above makes it a plain `require`, so both are kept. Resolved
 * to a module that requires it, the bundle reads each export when it is used (esbuild's CommonJS interop defines
 * getters), so the lazy getters of `WebSocket` and the rest run only if something reads them. Measured on Node 24:
 * `import "node:http"` took 67–71 ms to run, `process.getBuiltinModule("node:http")` 35–36 ms, `-e 0` 30–37 ms.
 *
 * @type {import("esbuild").Plugin}
 */
export const nodeHttpImportsByRequire = {
  name: "node-http-imports-by-require",
  setup(build) {
    build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === "import-statement" || args.kind === "dynamic-import"
        ? { path: "node:http", namespace: "node-http-by-require" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "node-http-by-require" }, () => ({
      contents: 'module.exports = require("node:http");',
      loader: "js",
    }));
  },
};
