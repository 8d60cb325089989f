import { createHash } from "node:crypto";
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
  it("reads files and reports CodeSha256 as base64 SHA-256 of the zip", () => {
    // Prepare
    const zip = Buffer.from(
      zipSync({ "index.mjs": strToU8("export const handler = () => 1;"), "lib/": new Uint8Array() }),
    );

    // Act
    const pkg = readCodePackage(zip);

    // Assess
    expect([...pkg.files.keys()]).toEqual(["index.mjs"]);
    expect(pkg.sha256).toBe(createHash("sha256").update(zip).digest("base64"));
    expect(pkg.size).toBe(zip.length);
  });

  it("rejects a package with an entry that escapes its directory", () => {
    // Prepare
    const zip = Buffer.from(zipSync({ "../../escape.js": strToU8("boom") }));

    // Act
    const attempt = () => readCodePackage(zip);

    // Assess
    expect(attempt).toThrow(/escapes the package/);
  });

  it("rejects bytes that are not a zip", () => {
    // Act
    const attempt = () => readCodePackage(Buffer.from("not a zip"));

    // Assess
    expect(attempt).toThrow(/Could not unzip/);
  });
});
