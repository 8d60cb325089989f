import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { parse } from "yaml";
import { shellQuote } from "../../src/stack/shell-env.ts";

/**
 * A stand-in for a container runtime, as far as Linux gives one without a Docker engine: a private mount namespace
 * (`unshare`, as root) whose root is a copy-on-write overlay of this machine's root (the image's writable layer),
 * the service's bind mounts at their container paths with `:ro` honoured, named volumes as directories kept between
 * runs, `working_dir`, `environment` and `command`. What it cannot be: another distribution's userland, the Docker
 * socket, sibling containers, port publishing; see docs/localstack.md.
 */

interface ComposeService {
  image: string;
  working_dir?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: {
    test: string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    start_period?: string;
  };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Compose interpolation of `${VAR}`, `${VAR:-default}` and `$$`, from `env`. */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match, name, fallback) => {
    if (match === "$$") return "$";
    const value = env[name];
    return value === undefined || value === "" ? (fallback ?? "") : value;
  });
}

export function readCompose(path: string, env: Record<string, string | undefined> = {}): ComposeFile {
  return parse(interpolate(readFileSync(path, "utf8"), env)) as ComposeFile;
}

interface Mount {
  kind: "bind" | "volume";
  /** Host path (bind) or volume name. */
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short-syntax volume entries (`src:dst[:ro]`), binds resolved against the project directory. */
function serviceMounts(service: ComposeService, projectDir: string): Mount[] {
  return (service.volumes ?? []).map((entry) => {
    const [source = "", target = "", mode = ""] = entry.split(":");
    const bind = source.startsWith(".") || isAbsolute(source);
    return {
      kind: bind ? "bind" : "volume",
      source: bind ? resolve(projectDir, source) : source,
      target,
      readOnly: mode.split(",").includes("ro"),
    };
  });
}

/**
 * The order the runtime mounts in: by the depth of the destination (Docker's `sortMounts`), so a parent is mounted
 * before what lies inside it. A mount point that does not exist is then created inside what is already mounted;
 * inside a read-only bind that fails, and so does container creation.
 */
function mountOrder(mounts: Mount[]): Mount[] {
  const depth = (m: Mount) => posix.normalize(m.target).split("/").filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a) - depth(b));
}

/**
 * The image as this machine can stand in for it: the host's own root (Debian here, Debian bookworm in the
 * node:*-bookworm-slim images), with the image's Node tools where their version matters. `setup` runs as root in the
 * namespace before the service's mounts, with `$root` the container's root.
 */
export interface ImageStandIn {
  name: string;
  env: Record<string, string>;
  setup: string;
}

const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A `node:<major>-bookworm-slim` stand-in: Node at /usr/local/bin/node (this machine's Node: the image's major is
 * not available here) and the image's npm at /usr/local/lib/node_modules/npm, from the npm registry.
 */
export function nodeImage(name: string, npmVersion: string): ImageStandIn {
  const npmDir = npmPackage(npmVersion);
  return {
    name,
    env: {
      PATH: IMAGE_PATH,
      HOME: "/root",
      NODE_ENV: "",
      // A registry reached through a TLS-intercepting proxy (as here) needs its CA, which the official Node builds
      // do not read from the system store; a Docker host behind such a proxy needs the same in its environment.
      ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    },
    setup: [
      `mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm"`,
      `mount --bind ${shellQuote(npmDir)} "$root/usr/local/lib/node_modules/npm"`,
      `mount -o remount,bind,ro "$root/usr/local/lib/node_modules/npm"`,
      `ln -sf ${shellQuote(process.execPath)} "$root/usr/local/bin/node"`,
      `ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"`,
      `ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"`,
      // The image's npm cache starts empty; this machine's is lent read-through (overlay) so runs need no network.
      `prewarmed_npm_cache "$root/root/.npm"`,
    ].join("\n"),
  };
}

/** The npm package of a version, unpacked once per machine from the npm registry (`npm pack`). */
function npmPackage(version: string): string {
  const dir = join(tmpdir(), "pipeline-contract-tools", `npm-${version}`);
  const pkg = join(dir, "package");
  if (!existsSync(join(pkg, "bin/npm-cli.js"))) {
    mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["pack", `npm@${version}`, "--silent"], { cwd: dir, stdio: "pipe" });
    execFileSync("tar", ["xzf", `npm-${version}.tgz`], { cwd: dir, stdio: "pipe" });
  }
  return pkg;
}

export interface ContainerRun {
  /** Exit code of the scenario: 125 when the container could not be created (Docker's code), else the command's. */
  code: number;
  output: string;
}

export interface ContainerSpec {
  service: ComposeService;
  image: ImageStandIn;
  projectDir: string;
  /** Where named volumes live, one directory each; reuse it for a second run with the kept volumes. */
  volumesDir: string;
  /** Mount targets not reproduced here (the Docker socket), skipped by the stand-in. */
  skipTargets?: string[];
  /** A private network namespace with only loopback (so the service may listen on its own port 4566). */
  privateNetwork?: boolean;
}

/**
 * Runs a bash scenario in a fresh container for `spec`. The scenario may call `in_container CMD...` (runs CMD in the
 * container: its root, environment and working_dir) and `run_service` (the service's own command).
 */
export function runContainer(
  spec: ContainerSpec,
  scenario = "run_service",
  timeoutMs = 240_000,
): ContainerRun {
  const mounts = mountOrder(serviceMounts(spec.service, spec.projectDir)).filter(
    (m) => !spec.skipTargets?.includes(m.target),
  );
  const env = { ...spec.image.env, ...(spec.service.environment ?? {}) };
  const workdir = mkdtempSync(join(tmpdir(), "pipeline-container-"));
  const lines = [
    "set -euo pipefail",
    `workdir=${shellQuote(workdir)}`,
    `mount -t tmpfs tmpfs "$workdir"`,
    `mkdir -p "$workdir/upper" "$workdir/work" "$workdir/root"`,
    `mount -t overlay overlay -o "lowerdir=/,upperdir=$workdir/upper,workdir=$workdir/work" "$workdir/root"`,
    `root="$workdir/root"`,
    `mount -t proc proc "$root/proc"`,
    `mount --rbind /dev "$root/dev"`,
    `mount -t tmpfs tmpfs "$root/tmp"`,
    `prewarmed_npm_cache() {`,
    `  local host_cache; host_cache=$(npm config get cache 2>/dev/null || echo "$HOME/.npm")`,
    `  mkdir -p "$workdir/npm-upper" "$workdir/npm-work" "$1" "$host_cache"`,
    `  mount -t overlay overlay -o "lowerdir=$host_cache,upperdir=$workdir/npm-upper,workdir=$workdir/npm-work" "$1"`,
    `}`,
    spec.privateNetwork ? "ip link set lo up 2>/dev/null || true" : "",
    spec.image.setup,
    ...mounts.flatMap((m) => mountLines(m, spec.volumesDir)),
    `in_container() { chroot "$root" /usr/bin/env -i ${Object.entries(env)
      .map(([k, v]) => shellQuote(`${k}=${v}`))
      .join(" ")} /bin/sh -c 'cd "$0" && exec "$@"' ${shellQuote(spec.service.working_dir ?? "/")} "$@"; }`,
    `run_service() { in_container ${(spec.service.command ?? []).map(shellQuote).join(" ")}; }`,
    scenario,
  ];
  // A PID namespace too: when the scenario ends (or is killed), every process it started (a background engine, the
  // hook's children) dies with it, as a container's processes die with the container.
  const unshareArgs = [
    "--mount",
    "--propagation",
    "private",
    "--pid",
    "--fork",
    "--kill-child",
    ...(spec.privateNetwork ? ["--net"] : []),
  ];
  try {
    const result = spawnSync("unshare", [...unshareArgs, "bash", "-c", lines.join("\n")], {
      encoding: "utf8",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: result.status ?? 137, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

/**
 * One mount as runc makes it: create the mount point (a directory, or a file for a file bind) inside the root
 * built so far, bind, then make it read-only at once when `:ro`.
 */
function mountLines(mount: Mount, volumesDir: string): string[] {
  const source = mount.kind === "bind" ? mount.source : join(volumesDir, mount.source);
  if (mount.kind === "volume") mkdirSync(source, { recursive: true });
  // Docker creates a missing bind source as a directory (short syntax).
  if (mount.kind === "bind" && !existsSync(source)) mkdirSync(source, { recursive: true });
  const isFile = statSync(source).isFile();
  const target = `"$root"${shellQuote(mount.target)}`;
  const create = isFile
    ? `mkdir -p "$(dirname ${target})" 2>/dev/null && { [ -e ${target} ] || touch ${target} 2>/dev/null; }`
    : `mkdir -p ${target} 2>/dev/null`;
  const failure = `error mounting ${JSON.stringify(source)} to rootfs at ${JSON.stringify(mount.target)}: mkdir ${mount.target}: read-only file system`;
  return [
    `if ! { ${create}; }; then echo ${shellQuote(`container create failed: ${failure}`)} >&2; exit 125; fi`,
    `mount --bind ${shellQuote(source)} ${target}`,
    mount.readOnly ? `mount -o remount,bind,ro ${target}` : "",
  ];
}

/** Whether this process may make mount namespaces (root with unshare and overlayfs), and why not. */
export function containerSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: "needs root (mount namespaces)" };
  const probe = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "bash",
      "-c",
      `d=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && mkdir "$d/u" "$d/w" "$d/r" && mount -t overlay overlay -o "lowerdir=/,upperdir=$d/u,workdir=$d/w" "$d/r"`,
    ],
    { encoding: "utf8" },
  );
  return probe.status === 0
    ? { ok: true }
    : { ok: false, reason: `unshare/overlayfs unavailable: ${probe.stderr.trim().split("\n")[0]}` };
}

const _projectOf = (composePath: string) => dirname(composePath);
