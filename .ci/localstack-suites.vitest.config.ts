import { defineConfig, mergeConfig } from "vitest/config";
import base from "../vitest.config.ts";

// .ci/localstack-suites.sh: one suite at a time (they share the target's one stack), each after the stack was
// rebuilt by the ready hook (test/helpers/rebuild-stack.ts), in a seeded random order.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      fileParallelism: false,
      maxWorkers: 1,
      setupFiles: ["test/helpers/rebuild-stack.ts"],
      sequence: { shuffle: { files: true, tests: false } },
    },
  }),
);
