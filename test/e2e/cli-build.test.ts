import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { RuntimeResolver } from "../../src/engine/lambda/runtimes.ts";

/**
 * The built CLI (cli/build.mjs, run by `npm ci` through `prepare`): a copy of the checkout whose node_modules has
 * every package but tsx, so a run that needed tsx fails, as it did before the bundle (cli/bin/pipeline.js
 * registered tsx on every start).
 */
let checkout: string;

function pipeline(args: string[], env: Record<string, string> = {}, node = process.execPath) {
  const result = spawnSync(node, [join(checkout, "cli/bin/pipeline.js"), ...args], {
    cwd: checkout,
    env: { ...process.env, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The bundle files a run of `entry` loads before any verb runs: its static imports, transitively. */
function staticClosure(distDir: string, entry: string): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(distDir, file), "utf8");
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)"/gms))
      visit(match[1] as string);
    for (const match of text.matchAll(/^import\s*"\.\/([^"]+)"/gm)) visit(match[1] as string);
  };
  visit(entry);
  return [...seen].map((file) => readFileSync(join(distDir, file), "utf8")).join("\n");
}

beforeAll(() => {
  checkout = mkdtempSync(join(tmpdir(), "pipeline-cli-build-"));
  cpSync(join(repoRoot, "src"), join(checkout, "src"), { recursive: true });
  cpSync(join(repoRoot, "cli"), join(checkout, "cli"), {
    recursive: true,
    filter: (source) => !source.startsWith(join(repoRoot, "cli/dist")),
  });
  cpSync(join(repoRoot, "package.json"), join(checkout, "package.json"));
  const modules = join(checkout, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(repoRoot, "node_modules"))) {
    if (name === "tsx" || name === ".bin" || name === "@image-metadata-pipeline") continue;
    if (name === ".package-lock.json") cpSync(join(repoRoot, "node_modules", name), join(modules, name));
    else symlinkSync(join(repoRoot, "node_modules", name), join(modules, name));
  }
});

afterAll(() => {
  rmSync(checkout, { recursive: true, force: true });
});

describe("the built CLI (cli/build.mjs)", { timeout: 120_000 }, () => {
  it("runs without tsx: a checkout without a bundle builds one on its first run", () => {
    expect(existsSync(join(checkout, "cli/dist"))).toBe(false);

    const run = pipeline(["--version"]);

    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("0.1.0");
    expect(run.code).toBe(0);
    expect(existsSync(join(checkout, "cli/dist/pipeline.mjs"))).toBe(true);
  });

  it("rebuilds a bundle older than its sources before it runs", () => {
    const program = join(checkout, "cli/src/program.ts");
    writeFileSync(program, readFileSync(program, "utf8").replace('.version("0.1.0")', '.version("9.9.9")'));

    const run = pipeline(["--version"]);

    expect(run.stdout.trim()).toBe("9.9.9");
    expect(run.code).toBe(0);
  });

  it("loads no AWS SDK, engine, provisioner or dashboard for --version and --help", () => {
    pipeline(["--version"]);
    const loaded = staticClosure(join(checkout, "cli/dist"), "pipeline.mjs");

    // esbuild marks each module's code with its path (the bundle is not minified).
    expect(loaded).toContain("// cli/src/program.ts");
    expect(loaded).toContain("node_modules/commander/");
    for (const unwanted of ["node_modules/@aws-sdk/", "// src/engine/", "// src/stack/", "// src/dashboard/"])
      expect(loaded).not.toContain(unwanted);
    expect(pipeline(["--help"]).stdout).toContain("Usage: pipeline");
  });

  /** The bundle files a verb's chunk loads statically (what its run loads before any dynamic import). */
  const verbClosure = (verb: string) => {
    const dist = join(checkout, "cli/dist");
    const chunk = readdirSync(dist).find(
      (file) =>
        file.endsWith(".mjs") &&
        readFileSync(join(dist, file), "utf8").includes(`// cli/src/commands/${verb}.ts`),
    );
    return staticClosure(dist, chunk as string);
  };

  it("loads for a verb only the SDK packages it calls: `logs` has no S3, DynamoDB, IAM, SQS or STS client", () => {
    const loaded = verbClosure("logs");

    expect(loaded).toContain("// src/pipeline/logs.ts");
    expect(loaded).toContain("node_modules/@aws-sdk/client-cloudwatch-logs/");
    for (const client of [
      "client-s3",
      "client-dynamodb",
      "client-iam",
      "client-sqs",
      "client-sts",
      "lib-dynamodb",
    ])
      expect(loaded).not.toContain(`node_modules/@aws-sdk/${client}/`);
    // zod's 60-odd locales (360 KB) come only with a whole-namespace import; the CLI validates in English.
    expect(loaded).not.toContain("node_modules/zod/v4/locales/fr.js");
  });

  it("imports esbuild on no verb's path: `up`, `verify` and `watch` load it only to build a stale zip", () => {
    // A static import of esbuild's API cost every `up` about 40 ms (Node 20) though the zip is current.
    for (const verb of ["up", "verify", "watch"]) {
      const loaded = verbClosure(verb);
      expect(loaded).toContain("// src/artifact/build.ts");
      expect(loaded, verb).not.toMatch(/from\s*"esbuild"/);
    }
  });

  it("makes no ESM import of node:http on a verb's path (on Node 22+ that loads undici: nodejs/node#57649)", () => {
    const dist = join(checkout, "cli/dist");
    const bundle = readdirSync(dist)
      .filter((file) => file.endsWith(".mjs"))
      .map((file) => readFileSync(join(dist, file), "utf8"))
      .join("\n");
    const marker = "node_modules/@smithy/node-http-handler/dist-es/node-http-handler.js";
    const start = bundle.indexOf(marker);
    const handler = bundle.slice(start, bundle.indexOf("\n// ", start + marker.length));

    expect(start).toBeGreaterThan(-1);
    expect(handler).toContain('require("node:http")');
    expect(handler).not.toContain('import("node:http")');
    expect(verbClosure("logs")).not.toMatch(/^import\s[^;]*from\s*"node:http"/m);
    expect(verbClosure("status")).not.toMatch(/\bfetch\(/);
    // Nor anywhere else: `up` (the engine's server) and `ui` took undici's load at start through theirs
    // (src/artifact/node-http-require.mjs, nodeHttpImportsByRequire).
    expect(verbClosure("up")).toContain("// src/engine/edge.ts");
    expect(bundle).not.toMatch(/^import\s[^;]*from\s*"node:http"/m);
    // (The plugin's own text, bundled with the function's build, holds the call in quotes.)
    expect(bundle).not.toMatch(/(?<!['"]await )import\("node:http"\)/);
  });

  it("loads no SDK client for `status`: the checks come from `pipeline up`, or are imported only to run here", () => {
    const loaded = verbClosure("status");

    expect(loaded).toContain("// cli/src/commands/status.ts");
    expect(loaded).not.toContain("node_modules/@aws-sdk/client-");
  });

  it("runs the TypeScript sources with PIPELINE_FROM_SOURCE=1 (through tsx before Node 24)", () => {
    const run = spawnSync(process.execPath, [join(repoRoot, "cli/bin/pipeline.js"), "--version"], {
      env: { ...process.env, PIPELINE_FROM_SOURCE: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stdout.trim()).toBe("0.1.0");
    // Before Node 24 the same switch fails in the copy without tsx, so the run above did not use the bundle (Node 24
    // runs the sources itself: the tests below).
    if (Number(process.versions.node.split(".")[0]) < 24)
      expect(pipeline(["--version"], { PIPELINE_FROM_SOURCE: "1" }).stderr).toMatch(/tsx/);
  });

  // The Node binaries `pipeline runtimes install` put in the cache (npm test's pretest installs them).
  const runtimes = new RuntimeResolver();
  const node24 = runtimes.nodeOfOwnMajor("nodejs24.x");
  const node22 = runtimes.nodeOfOwnMajor("nodejs22.x");

  it.skipIf(!node24)("runs the sources without tsx on Node 24: Node strips the types itself", () => {
    // The copy has no tsx, so these runs could only load the sources through Node's own type stripping.
    const version = pipeline(["--version"], { PIPELINE_FROM_SOURCE: "1" }, node24);
    expect(version.stderr).toBe("");
    // The version the copy's sources say now (an earlier test changes it).
    const source = readFileSync(join(checkout, "cli/src/program.ts"), "utf8");
    expect(version.stdout.trim()).toBe(/\.version\("([^"]+)"\)/.exec(source)?.[1]);

    // `status` loads the endpoint, the errors and an HTTP probe from source: every module it reaches is stripped.
    const status = pipeline(
      ["--endpoint", "http://127.0.0.1:9", "status"],
      { PIPELINE_FROM_SOURCE: "1" },
      node24,
    );
    expect(status.stderr).toMatch(/^pipeline: nothing is listening at http:\/\/127\.0\.0\.1:9/);
    expect(status.code).not.toBe(0);
  });

  it.skipIf(!node24)(
    "loads no undici with the engine's sources on Node 24, by Node's stripping or by tsx",
    () => {
      // The engine's sources run unbundled in tests and from source: an ESM import of node:http there loads undici
      // (nodejs/node#57649) on every engine start, which src/engine/node-http.ts avoids.
      const script = [
        'await import("./src/engine/index.ts");',
        'console.log(JSON.stringify(process.moduleLoadList.filter((name) => name.includes("undici"))));',
      ].join("\n");
      for (const loader of [[], ["--import", "tsx"]]) {
        const run = spawnSync(node24 as string, [...loader, "--input-type=module", "-e", script], {
          cwd: repoRoot,
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(run.status, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout), loader.join(" ") || "type stripping").toEqual([]);
      }
    },
  );

  it.skipIf(!node22)("keeps tsx on Node 22, which strips the sources again on every start", () => {
    expect(pipeline(["--version"], { PIPELINE_FROM_SOURCE: "1" }, node22).stderr).toMatch(/tsx/);
  });
});
