import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { LambdaEngineError } from "./errors.ts";

/**
 * Which Node.js binary runs a function of a given `Runtime`: the one whose major the runtime names, found where a
 * developer keeps one, or the engine's own Node as a stated emulation. Resolution order for `nodejsNN.x`:
 *
 * 1. an explicit mapping (`pipeline up --runtime-node nodejs24.x=/path/node`, `PIPELINE_RUNTIME_NODES`);
 * 2. Node builds installed by `pipeline runtimes install` (the per-user cache, see {@link runtimesCacheDir});
 * 3. `node` (or `nodeNN`) on `PATH`;
 * 4. nvm, fnm, volta, asdf and mise install directories (the highest version of the major);
 * 5. the engine's own Node when its major matches;
 * 6. otherwise the engine's own Node, marked emulated (an error with `strict`).
 */

/** The Node.js runtimes the engine runs; `nodejs18.x` is accepted and runs like the others. */
export const NODE_RUNTIMES = ["nodejs20.x", "nodejs22.x", "nodejs24.x"] as const;

/** Variable holding explicit mappings: `nodejs24.x=/opt/node24/bin/node,nodejs22.x=/usr/bin/node22`. */
const RUNTIME_NODES_VARIABLE = "PIPELINE_RUNTIME_NODES";
/** Overrides the per-user directory `pipeline runtimes install` writes to and the engine reads from. */
const RUNTIMES_DIR_VARIABLE = "PIPELINE_RUNTIMES_DIR";
/** `off` starts function environments without Node's module compile cache (for comparisons). */
const COMPILE_CACHE_VARIABLE = "PIPELINE_LAMBDA_COMPILE_CACHE";

type NodeSource = "mapping" | "installed" | "path" | "nvm" | "fnm" | "volta" | "asdf" | "mise" | "engine";

/** A Node.js binary and where it was found. */
export interface NodeBinary {
  path: string;
  /** `process.version` of that binary, e.g. `v24.22.3`. */
  version: string;
  source: NodeSource;
}

/** What a runtime resolves to on this machine. */
export interface RuntimeResolution {
  runtime: string;
  /** The Node major the runtime names. */
  major: number;
  node: NodeBinary;
  /** True when no Node of that major was found and the engine's own Node stands in. */
  emulated: boolean;
}

/** A runtime that must not be emulated (`--strict-runtime`) has no Node of its major here. */
export class RuntimeUnavailableError extends LambdaEngineError {
  readonly runtime: string;

  constructor(runtime: string, message: string) {
    super(message);
    this.runtime = runtime;
    this.name = "RuntimeUnavailableError";
  }
}

/** A malformed `--runtime-node` / `PIPELINE_RUNTIME_NODES` entry. */
export class RuntimeMappingError extends LambdaEngineError {
  constructor(message: string) {
    super(message);
    this.name = "RuntimeMappingError";
  }
}

/**
 * The Node major a Lambda runtime names, or undefined for anything that is not `nodejsNN.x`.
 *
 * @example runtimeMajor("nodejs24.x") === 24
 */
export function runtimeMajor(runtime: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/** Major, minor and patch of a version or directory name (`v24.1.0`, `24.1.0`, `node-v24.1.0-linux-x64`). */
export function parseNodeVersion(text: string): [number, number, number] | undefined {
  const match = /^(?:node-)?v?(\d+)\.(\d+)\.(\d+)(?:$|[-+])/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** The highest version of `major` among names that parse as versions, or undefined. */
export function highestOfMajor(names: readonly string[], major: number): string | undefined {
  let best: { name: string; version: [number, number, number] } | undefined;
  for (const name of names) {
    const version = parseNodeVersion(name);
    if (!version || version[0] !== major) continue;
    if (!best || compareVersions(version, best.version) > 0) best = { name, version };
  }
  return best?.name;
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Parses explicit mappings, comma separated: `nodejs24.x=/opt/node24/bin/node,nodejs22.x=/usr/bin/node22`.
 *
 * @throws RuntimeMappingError naming the entry that is not `nodejsNN.x=<path>`.
 */
export function parseRuntimeMapping(entries: readonly string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const entry of entries.flatMap((text) => text.split(","))) {
    const trimmed = entry.trim();
    if (trimmed === "") continue;
    const at = trimmed.indexOf("=");
    const runtime = trimmed.slice(0, at);
    const path = trimmed.slice(at + 1);
    if (at <= 0 || runtimeMajor(runtime) === undefined || path === "")
      throw new RuntimeMappingError(
        `invalid runtime mapping '${trimmed}': expected <runtime>=<node binary>, e.g. nodejs24.x=/usr/local/bin/node24`,
      );
    mapping[runtime] = path;
  }
  return mapping;
}

type Env = Record<string, string | undefined>;

/** Where the binary sits inside one version directory of a version manager. */
interface VersionRoot {
  source: NodeSource;
  /** Directory whose entries are named by version. */
  dir: string;
  bin: (versionDir: string) => string;
}

const unixBin = (versionDir: string) => join(versionDir, "bin", "node");

/**
 * The per-user directory `pipeline runtimes install` writes Node builds to: `PIPELINE_RUNTIMES_DIR`, else the
 * platform's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
 * `%LOCALAPPDATA%` on Windows) + `image-metadata-pipeline/runtimes`.
 */
export function runtimesCacheDir(
  env: Env = process.env,
  home = homedir(),
  platform: NodeJS.Platform = process.platform,
): string {
  const explicit = env[RUNTIMES_DIR_VARIABLE];
  if (explicit) return explicit;
  const base =
    platform === "darwin"
      ? join(home, "Library", "Caches")
      : platform === "win32"
        ? (env.LOCALAPPDATA ?? join(home, "AppData", "Local"))
        : (env.XDG_CACHE_HOME ?? join(home, ".cache"));
  return join(base, "image-metadata-pipeline", "runtimes");
}

/** The binary inside one installed build directory (`node-v24.22.3-linux-x64`). */
export function installedNodeBinary(buildDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? join(buildDir, "node.exe") : unixBin(buildDir);
}

/** The version managers' install directories, in the order they are searched (pure: from env and home). */
export function versionRoots(
  env: Env,
  home: string,
  platform: NodeJS.Platform = process.platform,
): VersionRoot[] {
  const dataHome = env.XDG_DATA_HOME ?? join(home, ".local", "share");
  const roots: VersionRoot[] = [
    {
      source: "installed",
      dir: runtimesCacheDir(env, home, platform),
      bin: (dir) => installedNodeBinary(dir, platform),
    },
    { source: "nvm", dir: join(env.NVM_DIR ?? join(home, ".nvm"), "versions", "node"), bin: unixBin },
  ];
  const fnmDirs = env.FNM_DIR
    ? [env.FNM_DIR]
    : [join(dataHome, "fnm"), join(home, ".fnm"), join(home, "Library", "Application Support", "fnm")];
  for (const dir of fnmDirs)
    roots.push({
      source: "fnm",
      dir: join(dir, "node-versions"),
      bin: (v) => unixBin(join(v, "installation")),
    });
  roots.push(
    {
      source: "volta",
      dir: join(env.VOLTA_HOME ?? join(home, ".volta"), "tools", "image", "node"),
      bin: unixBin,
    },
    {
      source: "asdf",
      dir: join(env.ASDF_DATA_DIR ?? join(home, ".asdf"), "installs", "nodejs"),
      bin: unixBin,
    },
    {
      source: "mise",
      dir: join(env.MISE_DATA_DIR ?? join(dataHome, "mise"), "installs", "node"),
      bin: unixBin,
    },
  );
  return roots;
}

/** The sentence every place that shows an emulated runtime uses. */
export function emulationNotice(resolution: RuntimeResolution): string {
  return `${resolution.runtime} emulated on Node ${resolution.node.version.replace(/^v/, "")}: run \`pipeline runtimes install ${resolution.runtime}\``;
}

/** One line for a resolution: `nodejs24.x on Node 24.22.3 (installed: /path/bin/node)` or the emulation notice. */
export function describeResolution(resolution: RuntimeResolution): string {
  if (resolution.emulated) return emulationNotice(resolution);
  return `${resolution.runtime} on Node ${resolution.node.version.replace(/^v/, "")} (${resolution.node.source}: ${resolution.node.path})`;
}

/**
 * The host's architecture in Lambda's names (`x86_64`, `arm64`; another Node `process.arch` as it is). Every
 * function runs on it: a function's `Architectures` is kept and reported, not emulated.
 */
export function hostArchitecture(arch: string = process.arch): string {
  return arch === "x64" ? "x86_64" : arch;
}

/** The sentence the engine's start log and runtime report use for architectures. */
export function architectureNotice(arch: string = process.arch): string {
  return `functions run on this host's architecture (${hostArchitecture(arch)}); a function's Architectures is kept and reported, not emulated`;
}

/** How resolutions look in `/_localstack/info` and the dashboard: by runtime. */
export interface RuntimeReport {
  node: string;
  path: string;
  source: NodeSource;
  emulated: boolean;
  /** {@link hostArchitecture}: what every function runs on here, whatever its `Architectures` says. */
  architecture: string;
  /** {@link describeResolution}: the binary, or the emulation notice with what to run to stop emulating. */
  description: string;
}

export function runtimeReport(resolution: RuntimeResolution): RuntimeReport {
  return {
    node: resolution.node.version,
    path: resolution.node.path,
    source: resolution.node.source,
    emulated: resolution.emulated,
    architecture: hostArchitecture(),
    description: describeResolution(resolution),
  };
}

export interface RuntimeResolverOptions {
  /** Explicit runtime → binary mappings; win over everything else. */
  mapping?: Record<string, string>;
  /** Refuse to emulate: {@link RuntimeResolver.resolve} throws instead. */
  strict?: boolean;
  env?: Env;
  home?: string;
}

/** Resolves runtimes to Node binaries on this machine; each runtime once (its binary's version is asked once). */
export class RuntimeResolver {
  readonly strict: boolean;
  /** Whether function environments may use Node's module compile cache (`PIPELINE_LAMBDA_COMPILE_CACHE=off`). */
  readonly compileCache: boolean;
  readonly #mapping: Record<string, string>;
  readonly #env: Env;
  readonly #home: string;
  readonly #resolved = new Map<string, RuntimeResolution>();
  readonly #versions = new Map<string, string | undefined>();

  constructor(options: RuntimeResolverOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#home = options.home ?? homedir();
    this.strict = options.strict ?? false;
    this.compileCache = this.#env[COMPILE_CACHE_VARIABLE] !== "off";
    this.#mapping = {
      ...parseRuntimeMapping([this.#env[RUNTIME_NODES_VARIABLE] ?? ""]),
      ...options.mapping,
    };
  }

  /**
   * The Node binary for a runtime.
   *
   * @throws RuntimeUnavailableError when strict and no Node of the runtime's major is here, or when an explicit
   *   mapping names a binary that is missing or of another major.
   */
  resolve(runtime: string): RuntimeResolution {
    const known = this.#resolved.get(runtime);
    if (known) return known;
    const resolution = this.#find(runtime);
    if (resolution.emulated && this.strict)
      throw new RuntimeUnavailableError(runtime, `${emulationNotice(resolution)} (strict runtime)`);
    this.#resolved.set(runtime, resolution);
    return resolution;
  }

  /** The path of a Node of `runtime`'s own major on this machine, or undefined where the runtime would be emulated. */
  nodeOfOwnMajor(runtime: string): string | undefined {
    const resolution = this.resolve(runtime);
    return resolution.emulated ? undefined : resolution.node.path;
  }

  /** Every runtime the engine runs, resolved (never throws: strict failures show as emulated). */
  list(): RuntimeResolution[] {
    return NODE_RUNTIMES.map((runtime) => {
      try {
        return this.resolve(runtime);
      } catch {
        return this.#find(runtime);
      }
    });
  }

  #find(runtime: string): RuntimeResolution {
    const engine: NodeBinary = { path: process.execPath, version: process.version, source: "engine" };
    const major = runtimeMajor(runtime);
    if (major === undefined) return { runtime, major: Number.NaN, node: engine, emulated: true };
    const found = (node: NodeBinary): RuntimeResolution => ({ runtime, major, node, emulated: false });
    const mapped = this.#mapping[runtime];
    if (mapped) {
      const version = this.#version(mapped);
      if (!version || parseNodeVersion(version)?.[0] !== major)
        throw new RuntimeUnavailableError(
          runtime,
          `the Node mapped to ${runtime} (${mapped}) ${version ? `is ${version}, not Node ${major}` : "cannot be run"}`,
        );
      return found({ path: mapped, version, source: "mapping" });
    }
    const [installed, ...managers] = versionRoots(this.#env, this.#home);
    const fromRoot = (root: VersionRoot | undefined) =>
      root ? this.#fromVersionRoot(root, major) : undefined;
    const node =
      fromRoot(installed) ??
      this.#fromPath(major) ??
      managers.reduce<NodeBinary | undefined>((hit, root) => hit ?? fromRoot(root), undefined) ??
      (parseNodeVersion(process.version)?.[0] === major ? engine : undefined);
    return node ? found(node) : { runtime, major, node: engine, emulated: true };
  }

  #fromVersionRoot(root: VersionRoot, major: number): NodeBinary | undefined {
    let names: string[];
    try {
      names = readdirSync(root.dir);
    } catch {
      return undefined;
    }
    // Highest first; a directory left half-written (no binary) falls through to the next.
    while (names.length > 0) {
      const best = highestOfMajor(names, major);
      if (!best) return undefined;
      const path = root.bin(join(root.dir, best));
      if (isExecutable(path)) {
        const parsed = parseNodeVersion(best);
        return { path, version: parsed ? `v${parsed.join(".")}` : best, source: root.source };
      }
      names = names.filter((name) => name !== best);
    }
    return undefined;
  }

  #fromPath(major: number): NodeBinary | undefined {
    const names = process.platform === "win32" ? ["node.exe"] : [`node${major}`, "node"];
    for (const dir of (this.#env.PATH ?? "").split(delimiter).filter(Boolean)) {
      for (const name of names) {
        const path = join(dir, name);
        if (!isExecutable(path)) continue;
        const version = this.#version(path);
        if (version && parseNodeVersion(version)?.[0] === major) return { path, version, source: "path" };
      }
    }
    return undefined;
  }

  /** `--version` of a binary (the engine's own without a process), or undefined when it cannot be run. */
  #version(path: string): string | undefined {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return undefined;
    }
    if (this.#versions.has(real)) return this.#versions.get(real);
    let version: string | undefined;
    if (real === realpathSync(process.execPath)) version = process.version;
    else {
      try {
        version = execFileSync(real, ["--version"], {
          encoding: "utf8",
          timeout: 10_000,
          stdio: "pipe",
        }).trim();
      } catch {
        version = undefined;
      }
    }
    this.#versions.set(real, version);
    return version;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What a function's process is started with for its runtime: the binary and the variables AWS sets. */
export interface RuntimeLaunch {
  execPath: string;
  /** `AWS_EXECUTION_ENV`, as AWS sets it for the runtime the function declares. */
  variables: Record<string, string>;
  resolution: RuntimeResolution;
  /** Node's module compile cache is there to use (Node 22.1 and later). */
  compileCache: boolean;
  /** The line the function's log stream gets before its first START (AWS writes `INIT_START` there). */
  initLine: string;
}

/**
 * The Node binary and runtime variables for a function's runtime.
 *
 * @throws RuntimeUnavailableError as {@link RuntimeResolver.resolve} does.
 */
export function runtimeLaunch(resolver: RuntimeResolver, runtime: string): RuntimeLaunch {
  const resolution = resolver.resolve(runtime);
  const [major = 0, minor = 0] = parseNodeVersion(resolution.node.version) ?? [];
  const node = resolution.node.version.replace(/^v/, "");
  return {
    execPath: resolution.node.path,
    variables: { AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}` },
    resolution,
    compileCache: resolver.compileCache && (major > 22 || (major === 22 && minor >= 1)),
    initLine: resolution.emulated
      ? `INIT_START Runtime Version: ${emulationNotice(resolution)}`
      : `INIT_START Runtime Version: nodejs:${resolution.major} (Node ${node}, ${resolution.node.source})`,
  };
}
