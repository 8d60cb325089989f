#!/usr/bin/env node
// Runs the CLI's bundle (cli/dist/, built by `npm ci`/`npm install` through the `prepare` script, see cli/build.mjs).
// A bundle older than its sources (an edit, a checkout, a reinstall) is rebuilt first (about a second, once); where it
// cannot be written (a read-only checkout), or with PIPELINE_FROM_SOURCE=1, the TypeScript sources run through tsx.
// The SDK's Node 20 deprecation notice is silenced by its own switch; other warnings still print.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// Node 22.1+ keeps the compiled bundle's code in its on-disk compile cache, so later starts skip V8's parse and
// compile (a no-op on Node 20, which has no compile cache; where the cache cannot be written it is simply not used).
const { default: nodeModule } = await import("node:module");
nodeModule.enableCompileCache?.();
const { buildCli, canWrite, entryPath, isFresh } = await import("../build.mjs");

async function bundleReady() {
  if (process.env.PIPELINE_FROM_SOURCE === "1") return false;
  if (isFresh()) return true;
  // A read-only checkout (a container's bind mount) would fail the build on every start: tsx at once instead.
  if (!canWrite()) return false;
  try {
    await buildCli();
    return true;
  } catch {
    return false;
  }
}

if (await bundleReady()) {
  await import(entryPath);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
