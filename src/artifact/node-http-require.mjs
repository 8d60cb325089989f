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
