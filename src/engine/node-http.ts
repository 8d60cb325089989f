/**
 * `node:http`, taken from Node's built-in registry rather than imported. Since nodejs/node#53721 the module exports
 * `WebSocket`, `CloseEvent` and `MessageEvent` as getters that load undici on first read, and an ESM `import` of it
 * builds its namespace by reading every export, so it loads undici (nodejs/node#59686, "ESM import of `http` is
 * slower compared to CommonJS"): about 20 ms of every engine start, for a module the engine never uses. The CLI's
 * bundle does the same through an esbuild plugin (src/artifact/node-http-require.mjs); the engine's sources also
 * run unbundled, in tests and from source (test/e2e/cli-build.test.ts checks undici stays unloaded on Node 24).
 */
export const nodeHttp = process.getBuiltinModule("node:http");
