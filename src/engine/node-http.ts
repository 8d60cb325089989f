/**
 * `node:http`, taken from Node's built-in registry rather than imported. An ESM `import` of it builds the module's
 * namespace, which reads its lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters and so loads undici
 * (nodejs/node#57649), about 20 ms of every engine start that never uses it. The CLI's bundle does the same through
 * an esbuild plugin (src/artifact/node-http-require.mjs); the engine's sources also run unbundled, in tests and from
 * source.
 */
export const nodeHttp = process.getBuiltinModule("node:http");
