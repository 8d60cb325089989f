#!/usr/bin/env node
// Runs the CLI's TypeScript sources directly (tsx), so a checkout needs no build step before `npx pipeline`.
// The SDK's Node 20 deprecation notice is silenced by its own switch; other warnings still print.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { register } = await import("tsx/esm/api");
register();
await import("../src/main.ts");
