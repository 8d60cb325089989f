import { randomBytes } from "node:crypto";
import { cp, mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildFunctionArtifact,
  functionSourceFiles,
  isArtifactCurrent,
  readBuiltSourceFiles,
} from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";

// esbuild on a copy of src/: which files make the function, and when its zip is stale.
describe("function artifact: sources and freshness", () => {
  const copyRoot = join(repoRoot, "test-artifacts", `artifact-copy-${randomBytes(4).toString("hex")}`);
  const entry = join(copyRoot, "src/function/handler.ts");
  const zipPath = join(copyRoot, "dist/function.zip");
  const future = new Date(Date.now() + 60_000);

  beforeAll(async () => {
    await cp(join(repoRoot, "src"), join(copyRoot, "src"), { recursive: true });
  });
  afterAll(async () => {
    await rm(copyRoot, { recursive: true, force: true });
  });

  it("lists the handler and the project files it imports, across folders, and no packages", async () => {
    const sources = await functionSourceFiles(entry);

    expect(sources).toContain(entry);
    expect(sources).toContain(join(copyRoot, "src/function/ingest.ts"));
    expect(sources).toContain(join(copyRoot, "src/aws/errors.ts"));
    expect(sources.some((f) => f.includes("node_modules"))).toBe(false);
    // The engine and the CLI are not part of the function.
    expect(sources.some((f) => f.includes(join(copyRoot, "src/engine")))).toBe(false);
  });

  it("records the build's sources beside the zip; the zip is current until one of them changes", async () => {
    const artifact = await buildFunctionArtifact({ entry, outFile: zipPath });

    expect(await readBuiltSourceFiles(zipPath)).toEqual(artifact.sourceFiles);
    expect(artifact.sourceFiles).toEqual(await functionSourceFiles(entry));
    expect(await isArtifactCurrent(zipPath)).toBe(true);

    // An imported file outside src/function changes: stale.
    await utimes(join(copyRoot, "src/aws/errors.ts"), future, future);
    expect(await isArtifactCurrent(zipPath)).toBe(false);

    await buildFunctionArtifact({ entry, outFile: zipPath });
    await utimes(zipPath, future, future);
    expect(await isArtifactCurrent(zipPath)).toBe(true);

    // A file outside the bundle changes: still current.
    const later = new Date(future.getTime() + 60_000);
    await utimes(join(copyRoot, "src/engine/edge.ts"), later, later);
    expect(await isArtifactCurrent(zipPath)).toBe(true);
  });

  it("calls the zip stale when the build's own files change (src/artifact/build.ts, its esbuild plugin)", async () => {
    // The copy's build module: its own files are the copy's, so touching them leaves the repository alone.
    const copyBuild = (await import(
      pathToFileURL(join(copyRoot, "src/artifact/build.ts")).href
    )) as typeof import("../../src/artifact/build.ts");
    // Later than every time the tests above set, each step later than the last.
    let at = future.getTime() + 300_000;
    for (const buildFile of ["src/artifact/node-http-require.mjs", "src/artifact/build.ts"]) {
      await copyBuild.buildFunctionArtifact({ entry, outFile: zipPath });
      at += 60_000;
      await utimes(zipPath, new Date(at), new Date(at));
      expect(await copyBuild.isArtifactCurrent(zipPath)).toBe(true);

      at += 60_000;
      await utimes(join(copyRoot, buildFile), new Date(at), new Date(at));
      expect(await copyBuild.isArtifactCurrent(zipPath)).toBe(false);
    }
  });

  it("packs index.mjs at the root and the on-demand chunks under chunks/, and the unpacked handler loads", async () => {
    const artifact = await buildFunctionArtifact({ entry, outFile: zipPath });
    const unpacked = join(copyRoot, "unpacked");
    const files = unzipSync(artifact.zip);
    for (const [name, data] of Object.entries(files)) {
      await mkdir(dirname(join(unpacked, name)), { recursive: true });
      await writeFile(join(unpacked, name), data);
    }

    const names = Object.keys(files);
    expect(names).toContain("index.mjs");
    expect(names.every((name) => name === "index.mjs" || /^chunks\/[\w-]+\.mjs$/.test(name))).toBe(true);
    expect(names.length).toBe(artifact.codeFiles);
    expect(names.length).toBeGreaterThan(1);
    const module = (await import(pathToFileURL(join(unpacked, "index.mjs")).href)) as { handler?: unknown };
    expect(typeof module.handler).toBe("function");
  });

  it("loads node:http in the SDK's HTTP handler with require, not import(), so Node 22+ does not load undici", async () => {
    const artifact = await buildFunctionArtifact({ entry, outFile: zipPath });
    const code = Object.values(unzipSync(artifact.zip)).map((data) => new TextDecoder().decode(data));

    const handlerChunk = code.find((text) => text.includes("httpAgentProvider"));
    expect(handlerChunk).toBeDefined();
    // esbuild's require shim is renamed by the minifier: some `x("node:http")` call, and no import() of it.
    expect(handlerChunk).toMatch(/[\w$]+\("node:http"\)/);
    expect(handlerChunk).not.toContain('import("node:http")');
  });

  it("calls a zip stale when its sources record is missing or names a file that is gone", async () => {
    await buildFunctionArtifact({ entry, outFile: zipPath });
    await rm(join(copyRoot, "dist/function.sources.json"));
    expect(await isArtifactCurrent(zipPath)).toBe(false);

    await buildFunctionArtifact({ entry, outFile: zipPath });
    await rm(join(copyRoot, "src/function/record.ts"));
    expect(await isArtifactCurrent(zipPath)).toBe(false);
    await expect(functionSourceFiles(entry)).rejects.toThrow(/function bundle failed: Could not resolve/);
  });
});
