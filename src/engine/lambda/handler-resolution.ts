import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { FunctionInitError } from "./errors.ts";

/** Where a function's handler lives and how Node must load it. */
export interface ResolvedHandler {
  /** Absolute path of the module file. */
  file: string;
  format: "esm" | "cjs";
  /** Property path inside the module: `handler`, or `nested.handler` for `index.nested.handler`. */
  exportPath: string[];
}

/** The few file-system questions resolution asks; injectable so the logic is testable without a disk. */
export interface HandlerFileSystem {
  isFile(path: string): boolean;
  readText(path: string): string | undefined;
}

const nodeFileSystem: HandlerFileSystem = {
  isFile: (path) => existsSync(path) && statSync(path).isFile(),
  readText: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

/**
 * Resolves a `Handler` setting (`path/file.export`) inside the task root the way the Lambda Node.js runtime does:
 * the module is the part of the last path segment before its first dot, tried as `file.js` (ESM when the nearest
 * package.json says `"type": "module"`, else CommonJS), then `file.mjs`, then `file.cjs`.
 *
 * @example resolveHandler("/tmp/code", "src/index.handler") // { file: "/tmp/code/src/index.js", format: "cjs", exportPath: ["handler"] }
 */
export function resolveHandler(
  taskRoot: string,
  handler: string,
  fs: HandlerFileSystem = nodeFileSystem,
): ResolvedHandler {
  const slash = handler.lastIndexOf("/");
  const moduleRoot = handler.slice(0, slash + 1);
  const moduleAndExport = handler.slice(slash + 1);
  const match = /^([^.]+)\.(.+)$/.exec(moduleAndExport);
  if (!match?.[1] || !match[2] || match[2].split(".").some((part) => part === "")) {
    throw new FunctionInitError("Runtime.MalformedHandlerName", "Bad handler");
  }
  const modulePath = resolve(taskRoot, moduleRoot, match[1]);
  // A handler such as `../../etc/x.handler` must not load code from outside the deployment package.
  const fromRoot = relative(resolve(taskRoot), modulePath);
  if (isAbsolute(moduleRoot) || fromRoot.startsWith(`..${sep}`) || fromRoot === "..") {
    throw new FunctionInitError("Runtime.MalformedHandlerName", "Bad handler");
  }
  const exportPath = match[2].split(".");
  const typeModule = nearestPackageType(dirname(modulePath), resolve(taskRoot), fs) === "module";
  const candidates: Array<[string, ResolvedHandler["format"]]> = [
    [`${modulePath}.js`, typeModule ? "esm" : "cjs"],
    [`${modulePath}.mjs`, "esm"],
    [`${modulePath}.cjs`, "cjs"],
  ];
  for (const [file, format] of candidates) {
    if (fs.isFile(file)) return { file, format, exportPath };
  }
  const moduleName = join(moduleRoot, match[1]);
  throw new FunctionInitError(
    "Runtime.ImportModuleError",
    `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`,
  );
}

/** `type` of the nearest package.json between `directory` and the task root (inclusive). */
function nearestPackageType(directory: string, taskRoot: string, fs: HandlerFileSystem): string | undefined {
  let current = directory;
  for (;;) {
    const text = fs.readText(join(current, "package.json"));
    if (text !== undefined) {
      try {
        const type = (JSON.parse(text) as { type?: unknown }).type;
        return typeof type === "string" ? type : undefined;
      } catch {
        return undefined;
      }
    }
    if (current === taskRoot) return undefined;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
