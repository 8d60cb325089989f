import { SingleBar } from "cli-progress";
import {
  describeResolution,
  NODE_RUNTIMES,
  RuntimeMappingError,
  RuntimeResolver,
  runtimeMajor,
  runtimesCacheDir,
} from "../../../src/engine/lambda/runtimes.ts";
import { installNodeRuntime, RuntimeInstallError } from "../../../src/runtimes/install.ts";
import { EnvironmentError, UsageError } from "../errors.ts";
import { Output, table } from "../output.ts";
import { runtimeNodeMapping } from "../runtime-mapping.ts";
import type { GlobalOptions } from "../target.ts";

export interface RuntimesOptions extends GlobalOptions {
  runtimeNode?: string[];
}

export interface RuntimesInstallOptions extends GlobalOptions {
  latest?: boolean;
}

/** `pipeline runtimes [list]`: which Node binary each Node.js runtime resolves to here, and the install cache. */
export async function runtimesList(options: RuntimesOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const mapping = runtimeNodeMapping(options.runtimeNode);
  let resolver: RuntimeResolver;
  try {
    resolver = new RuntimeResolver(mapping ? { mapping } : {});
  } catch (error) {
    if (error instanceof RuntimeMappingError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const resolutions = resolver.list();
  const cacheDir = runtimesCacheDir();
  output.data({
    cacheDir,
    runtimes: resolutions.map((r) => ({
      runtime: r.runtime,
      node: r.node.version,
      path: r.node.path,
      source: r.node.source,
      emulated: r.emulated,
    })),
  });
  output.line(
    table([
      ["runtime", "node", "from", "binary"],
      ...resolutions.map((r) => [
        r.runtime,
        r.emulated ? output.bad(`emulated on ${r.node.version}`) : output.ok(r.node.version),
        r.emulated ? "-" : r.node.source,
        r.emulated ? `run \`pipeline runtimes install ${r.runtime}\`` : r.node.path,
      ]),
    ]),
  );
  output.line(output.dim(`installed builds: ${cacheDir}`));
}

/** `pipeline runtimes install <runtime...>`: the official Node build of each runtime's major, from the npm registry. */
export async function runtimesInstall(runtimes: string[], options: RuntimesInstallOptions): Promise<void> {
  const output = new Output({ json: options.json });
  for (const runtime of runtimes) {
    if (runtimeMajor(runtime) === undefined)
      throw new UsageError(`unknown runtime '${runtime}': expected one of ${NODE_RUNTIMES.join(", ")}`);
  }
  for (const runtime of runtimes) {
    let bar: SingleBar | undefined;
    let barStarted = false;
    let lastReported = -1;
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    try {
      const result = await installNodeRuntime(runtime, {
        ...(options.latest ? { latest: true } : {}),
        onRelease: (release, packageName) => {
          output.info(
            `${runtime}: downloading Node ${release.version} (${packageName} from the npm registry)`,
          );
          if (output.interactive)
            bar = new SingleBar({
              format: " {bar} {percentage}% | {mb} MB",
              hideCursor: true,
              clearOnComplete: true,
            });
        },
        onProgress: (received, total) => {
          if (bar) {
            if (!barStarted) bar.start(total || 1, 0, { mb: mb(0) });
            barStarted = true;
            bar.update(Math.min(received, total || received), { mb: mb(received) });
            return;
          }
          // Not a terminal: a line per quarter, so logs show it moving without a line per chunk.
          const quarter = total ? Math.floor((received / total) * 4) : -1;
          if (quarter > lastReported && quarter < 4) {
            lastReported = quarter;
            output.info(`  ${quarter * 25}% of ${mb(total)} MB`);
          }
        },
      });
      bar?.stop();
      output.data({ event: "installed", ...result, durationMs: Math.round(result.durationMs) });
      output.line(
        result.downloaded
          ? `${output.ok("installed")} ${runtime}: Node ${result.version} (${mb(result.bytes)} MB, checksum verified, ${(result.durationMs / 1000).toFixed(1)} s) at ${result.path}`
          : `${output.ok("present")} ${runtime}: Node ${result.version} at ${result.path}`,
      );
    } catch (error) {
      bar?.stop();
      if (error instanceof RuntimeInstallError) throw new EnvironmentError(error.message, { cause: error });
      throw error;
    }
  }
  const resolver = new RuntimeResolver();
  for (const runtime of runtimes)
    output.info(output.dim(`  ${describeResolution(resolver.resolve(runtime))}`));
}
