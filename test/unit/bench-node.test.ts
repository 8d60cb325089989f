import { describe, expect, it } from "vitest";
import { BenchNodeError, requestedNodeMajor, resultsFiles } from "../../bench/bench-node.ts";

describe("bench --node", () => {
  it("reads the Node major after --node, and nothing without the flag", () => {
    expect(requestedNodeMajor(["node", "run.ts", "--quick", "--node", "24"])).toBe(24);
    expect(requestedNodeMajor(["node", "run.ts", "--node", "22", "--only", "side-by-side"])).toBe(22);
    expect(requestedNodeMajor(["node", "run.ts", "--quick"])).toBeUndefined();
  });

  it.each([[[]], [["v24"]], [["24.1"]], [["0"]], [["--quick"]], [["-1"]]])(
    "refuses --node followed by %j with one line naming the flag",
    (rest) => {
      expect(() => requestedNodeMajor(["node", "run.ts", "--node", ...rest])).toThrow(BenchNodeError);
      expect(() => requestedNodeMajor(["node", "run.ts", "--node", ...rest])).toThrow(
        /^--node takes a Node major/,
      );
    },
  );

  it("writes another Node's figures beside the default Node's, never over them", () => {
    expect(resultsFiles(undefined, undefined)).toEqual({
      idle: "bench/results.json",
      loaded: "bench/results.loaded.json",
      explicit: false,
    });
    expect(resultsFiles(undefined, 24)).toEqual({
      idle: "bench/results.node24.json",
      loaded: "bench/results.node24.loaded.json",
      explicit: false,
    });
    expect(resultsFiles("/tmp/run.json", 24)).toMatchObject({ idle: "/tmp/run.json", explicit: true });
  });
});
