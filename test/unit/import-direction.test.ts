import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");

/**
 * The engine stands alone: the dashboard, the stack, the artifact builder, the function and the CLI are built on
 * it, never inside it. Everything `src/engine` reaches, type-only imports and `import()` included, must stay
 * under these folders of the repository...
 */
const engineMayReach = ["src/engine/", "src/events/"];
/** ...and load none of the application's packages (the AWS SDK, esbuild, the CLI's). */
const appPackages =
  /^(@aws-sdk\/|@aws-lambda-powertools\/|@smithy\/|esbuild$|chokidar$|commander$|playwright)/;

/** Relative and package specifiers of one module's imports and re-exports, `import type` and `import()` too. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** One import the direction forbids: who imports what. */
interface Violation {
  from: string;
  imports: string;
}

/**
 * Walks the imports from `roots` (repository-relative paths) through every local module they reach, and returns
 * each import that leaves `allowedDirs` or names an application package. `read` maps a path to its source.
 */
function importViolations(
  roots: string[],
  read: (path: string) => string,
  allowedDirs: string[] = engineMayReach,
): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const queue = [...roots];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    if (seen.has(path)) continue;
    seen.add(path);
    for (const specifier of importsOf(read(path))) {
      if (!specifier.startsWith(".")) {
        if (appPackages.test(specifier)) violations.push({ from: path, imports: specifier });
        continue;
      }
      const target = join(dirname(path), specifier);
      if (!allowedDirs.some((dir) => target.startsWith(dir))) {
        violations.push({ from: path, imports: target });
        continue;
      }
      queue.push(target);
    }
  }
  return violations;
}

const engineFiles = (readdirSync(join(repo, "src/engine"), { recursive: true }) as string[])
  .filter((file) => /\.(ts|mts|mjs|js)$/.test(file))
  .map((file) => `src/engine/${file}`);

describe("Import direction: src/engine", () => {
  it("reaches nothing outside the engine and the shared event shapes", () => {
    // Act
    const violations = importViolations(engineFiles, (path) => readFileSync(join(repo, path), "utf8"));

    // Assess
    expect(engineFiles.length).toBeGreaterThan(50);
    expect(violations).toEqual([]);
  });

  it("flags an engine module importing the dashboard through another engine module, and an SDK client", () => {
    // Prepare: the real engine, with one module changed as a careless edit would change it.
    const read = (path: string) => {
      const source = readFileSync(join(repo, path), "utf8");
      return path === "src/engine/version.ts"
        ? `import type { Dashboard } from "../dashboard/index.ts";\nimport { S3Client } from "@aws-sdk/client-s3";\n${source}`
        : source;
    };

    // Act
    const violations = importViolations(["src/engine/index.ts"], read);

    // Assess
    expect(violations).toEqual([
      { from: "src/engine/version.ts", imports: "src/dashboard/index.ts" },
      { from: "src/engine/version.ts", imports: "@aws-sdk/client-s3" },
    ]);
  });
});

describe("Import direction: src/engine/arn.ts", () => {
  it("imports nothing, so the stack and the event shapes can build ARNs with it without loading the engine", () => {
    // Act
    const imports = importsOf(readFileSync(join(repo, "src/engine/arn.ts"), "utf8"));

    // Assess
    expect(imports).toEqual([]);
  });
});
