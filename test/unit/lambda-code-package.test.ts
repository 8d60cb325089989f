import { createHash } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { deflateRawSync } from "node:zlib";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { readCodePackage, safeEntryPath } from "../../src/engine/lambda/code-package.ts";
import { CodePackageError } from "../../src/engine/lambda/errors.ts";

describe("Function: safeEntryPath", () => {
  it.each([
    ["index.mjs", "index.mjs"],
    ["src/lib/app.js", "src/lib/app.js"],
    ["./src//app.js", "src/app.js"],
    ["src\\win\\app.js", "src/win/app.js"],
    ["node_modules/a..b/index.js", "node_modules/a..b/index.js"],
  ])("keeps %s as %s", (name, expected) => {
    // Act
    const path = safeEntryPath(name);

    // Assess
    expect(path).toBe(expected);
  });

  it.each([
    "../evil.js",
    "src/../../evil.js",
    "/etc/passwd",
    "C:\\evil.js",
    "\\\\host\\share\\x",
    "..\\evil.js",
    "a\0b",
  ])("rejects %s (zip-slip)", (name) => {
    // Act
    const attempt = () => safeEntryPath(name);

    // Assess
    expect(attempt).toThrow(CodePackageError);
  });
});

describe("Function: readCodePackage", () => {
  it("reads files and reports CodeSha256 as base64 SHA-256 of the zip", async () => {
    // Prepare
    const zip = Buffer.from(
      zipSync({ "index.mjs": strToU8("export const handler = () => 1;"), "lib/": new Uint8Array() }),
    );

    // Act
    const pkg = await readCodePackage(zip);

    // Assess
    expect([...pkg.files.keys()]).toEqual(["index.mjs"]);
    expect(pkg.sha256).toBe(createHash("sha256").update(zip).digest("base64"));
    expect(pkg.size).toBe(zip.length);
  });

  it("rejects a package with an entry that escapes its directory", async () => {
    // Prepare
    const zip = Buffer.from(zipSync({ "../../escape.js": strToU8("boom") }));

    // Act
    const attempt = readCodePackage(zip);

    // Assess
    await expect(attempt).rejects.toThrow(/escapes the package/);
  });

  it("rejects bytes that are not a zip", async () => {
    // Act
    const attempt = readCodePackage(Buffer.from("not a zip"));

    // Assess
    await expect(attempt).rejects.toThrow(/Could not unzip/);
  });

  it("refuses an entry that declares 10 bytes and inflates to 256 MB, inflating no more than 11 of them", async () => {
    // Prepare: 256 MB of zeros deflated (about 255 KB) stored as an entry, then marked deflated and declared 10 bytes.
    const deflated = deflateRawSync(Buffer.alloc(256 * 1024 * 1024));
    const bomb = Buffer.from(zipSync({ "index.mjs": [deflated, { level: 0 }] }));
    const central = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt16LE(8, 8);
    bomb.writeUInt32LE(10, 22);
    bomb.writeUInt16LE(8, central + 10);
    bomb.writeUInt32LE(10, central + 24);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();

    // Act
    const attempt = readCodePackage(bomb);

    // Assess
    await expect(attempt).rejects.toThrow(/Could not unzip/);
    loop.disable();
    // Inflating ran off the event loop (a synchronous inflate of 256 MB blocks it for seconds).
    expect(loop.max / 1e6).toBeLessThan(1000);
  });

  it("refuses a zip whose declared sizes add up to more than the limit, before inflating anything", async () => {
    // Prepare
    const zip = Buffer.from(zipSync({ "a.js": new Uint8Array(600), "b.js": new Uint8Array(600) }));

    // Act
    const attempt = readCodePackage(zip, 1000);

    // Assess
    await expect(attempt).rejects.toThrow("Unzipped size must be smaller than 1000 bytes");
  });
});
