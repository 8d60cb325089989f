/**
 * `node:http`, taken from Node's built-in registry rather than imported. Since nodejs/node#53721 the module exports
 * `WebSocket`, `CloseEvent` and `MessageEvent` as getters that load undici on first read, and an ESM `import` of it
 * builds its namespace by reading every export, so it loads undici on Node 22 and later, not on Node 20
 * (nodejs/node#57649, "import http request performance regression between 20.x and 22.x"; nodejs/node#59686): about
 * 20 ms of every engine start, for a module the engine never uses. The CLI's
 * bundle does the same through an esbuild plugin (src/artifact/node-http-require.mjs); the engine's sources also
 * run unbundled, in tests and from source (test/e2e/cli-build.test.ts checks undici stays unloaded on Node 24).
 */
export const nodeHttp = process.getBuiltinModule("node:http");
