import { defineConfig, mergeConfig } from "vitest/config";
import base from "../vitest.config.ts";

// .ci/localstack-suites.sh: one suite at a time per lane (a target and its one stack), each after the stack was
// rebuilt by the ready hook (test/helpers/rebuild-stack.ts), in a seeded random order.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      maxWorkers: 1, // .ci/localstack-suites.sh sets one worker per lane (engine)
      setupFiles: ["test/helpers/rebuild-stack.ts"],
      sequence: { shuffle: { files: true, tests: false } },
    },
  }),
);
