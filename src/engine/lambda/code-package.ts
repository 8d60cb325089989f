import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CodePackageError } from "./errors.ts";
import { lambdaLimits } from "./section.ts";
import { readZipEntries } from "./zip-entries.ts";

/** A validated deployment package: the zip itself and its files, keyed by safe relative path. */
export interface CodePackage {
  zip: Buffer;
  /** `CodeSha256` as Lambda reports it: base64 of the SHA-256 of the zip. */
  sha256: string;
  size: number;
  files: Map<string, Uint8Array>;
}

/**
 * Returns the entry name as a safe relative path, or throws: entries that are absolute (`/x`, `C:\x`, `\\host`)
 * or that climb out with `..` would let a package write outside its directory (zip-slip).
 */
export function safeEntryPath(name: string): string {
  const normalised = name.replace(/\\/g, "/");
  if (normalised.includes("\0"))
    throw new CodePackageError(`zip entry has a NUL byte: ${JSON.stringify(name)}`);
  if (normalised.startsWith("/") || /^[A-Za-z]:/.test(normalised)) {
    throw new CodePackageError(`zip entry has an absolute path: ${name}`);
  }
  const segments = normalised.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw new CodePackageError(`zip entry escapes the package: ${name}`);
  return segments.join("/");
}

/**
 * Validates a zip and reads its entries (nothing is written yet). Throws {@link CodePackageError}, with AWS's
 * wording when the files would unzip to more than Lambda allows (250 MB unzipped, "Lambda quotas"): the sizes the
 * zip declares are summed before anything is inflated, and each entry inflates off the event loop and never past
 * its declared size (zip-entries.ts), so a zip bomb costs neither memory nor a blocked engine.
 */
export async function readCodePackage(
  zip: Buffer,
  maxUnzippedBytes: number = lambdaLimits.unzippedCodeBytes,
): Promise<CodePackage> {
  const entries = await readZipEntries(zip, maxUnzippedBytes);
  const files = new Map<string, Uint8Array>();
  for (const { name, data } of entries) {
    const path = safeEntryPath(name);
    if (path === "" || name.endsWith("/")) continue;
    files.set(path, data);
  }
  return { zip, sha256: codeSha256(zip), size: zip.length, files };
}

/** Base64 SHA-256 of the zip, the `CodeSha256` of a function. */
function codeSha256(zip: Buffer): string {
  return createHash("sha256").update(zip).digest("base64");
}

/** Writes the package's files below `directory` (created if missing). */
export async function unpackCodePackage(pkg: CodePackage, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  const created = new Set<string>();
  for (const [path, data] of pkg.files) {
    const target = join(directory, path);
    const parent = dirname(target);
    if (!created.has(parent)) {
      await mkdir(parent, { recursive: true });
      created.add(parent);
    }
    await writeFile(target, data);
  }
}
