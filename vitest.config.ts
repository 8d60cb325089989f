import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // e2e suites boot engines and child processes; keep the 2-core CI machine from oversubscribing.
    maxWorkers: 2,
    // Fails a file that leaves a file open (Node would close it on garbage collection, warning mid-log).
    // Property tests draw one fixed seed (PROPERTY_SEED=random for an exploratory run).
    setupFiles: ["test/helpers/open-files-guard.ts", "test/helpers/property-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
