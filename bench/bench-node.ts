import { spawnSync } from "node:child_process";
import { NODE_RUNTIMES, RuntimeResolver } from "../src/engine/lambda/runtimes.ts";

/**
 * `npm run bench -- --node 24`: the whole bench (its client, every `pipeline up` and the base tree's engine) on a
 * Node major of the project's targets, found where the engine finds a runtime's Node (`pipeline runtimes install`).
 * This machine's own Node is Debian's 20, which is not a target, so docs/benchmarks.md also gives the figures on 24.
 */

/** A `--node` the bench cannot honour: printed as one line, exit status 2. */
export class BenchNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchNodeError";
  }
}

/**
 * The Node major `--node` asks for, or undefined without the flag.
 *
 * @example requestedNodeMajor(["--quick", "--node", "24"]) === 24
 * @throws BenchNodeError when the value is not a major version number
 */
export function requestedNodeMajor(argv: readonly string[]): number | undefined {
  const at = argv.indexOf("--node");
  if (at < 0) return undefined;
  const value = argv[at + 1] ?? "";
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new BenchNodeError(`--node takes a Node major version (e.g. --node 24), not '${value}'`);
  return Number(value);
}

/**
 * Where a run's figures go: `--out` if given; else, with `--node N`, `bench/results.nodeN.json` (and
 * `.loaded.json` for a loaded machine), so a run on another Node never replaces the default Node's figures.
 *
 * @example resultsFiles(undefined, 24) // { idle: "bench/results.node24.json", loaded: "bench/results.node24.loaded.json" }
 */
export function resultsFiles(
  out: string | undefined,
  nodeMajor: number | undefined,
): { idle: string; loaded: string; explicit: boolean } {
  const stem = nodeMajor === undefined ? "bench/results" : `bench/results.node${nodeMajor}`;
  return { idle: out ?? `${stem}.json`, loaded: `${stem}.loaded.json`, explicit: out !== undefined };
}

/**
 * Runs this same bench again on Node `major` when this process runs another major, and returns its exit status;
 * undefined when this process is already on that major (the bench goes on here).
 *
 * @throws BenchNodeError when the engine has no runtime of that major, or this machine no Node of it
 */
export function rerunOnNode(major: number): number | undefined {
  if (Number(process.versions.node.split(".")[0]) === major) return undefined;
  const runtime = `nodejs${major}.x`;
  if (!(NODE_RUNTIMES as readonly string[]).includes(runtime))
    throw new BenchNodeError(`--node ${major}: the engine runs ${NODE_RUNTIMES.join(", ")}, not ${runtime}`);
  const node = new RuntimeResolver().nodeOfOwnMajor(runtime);
  if (!node)
    throw new BenchNodeError(
      `no Node ${major} on this machine: install it with \`npx pipeline runtimes install ${runtime}\``,
    );
  // The same loader flags (tsx's) and script, on the other Node.
  const run = spawnSync(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  return run.status ?? 1;
}
