#!/usr/bin/env node
// Runs the CLI's bundle (cli/dist/, built by `npm ci`/`npm install` through the `prepare` script, see cli/build.mjs).
// A bundle older than its sources (an edit, a checkout, a reinstall) is rebuilt first (about a second, once); where it
// cannot be written (a read-only checkout), or with PIPELINE_FROM_SOURCE=1, the TypeScript sources run: by Node itself
// on Node 24+, through tsx before (see sourceLoader below).
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

// Node strips TypeScript's types itself since 22.18 (process.features.typescript), and from 23.7 it keeps the stripped
// code in the compile cache enabled above (nodejs/node#56629, CHANGELOG_V23.md). On Node 24 the sources then load in
// about 0.6 of tsx's time; on Node 22, which strips every file again on each start, tsx is as fast, so it stays there.
// The sources use erasable syntax only (tsconfig's erasableSyntaxOnly), which is what Node's stripping accepts.
function sourceLoader() {
  const major = Number(process.versions.node.split(".")[0]);
  return process.features.typescript && major >= 24 ? "node" : "tsx";
}

if (await bundleReady()) {
  await import(entryPath);
} else {
  if (sourceLoader() === "tsx") {
    const { register } = await import("tsx/esm/api");
    register();
  }
  await import("../src/main.ts");
}
