import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { engineServices } from "../../src/engine/registry.ts";

const repo = resolve(import.meta.dirname, "../..");
/** Folders of `src/engine` that are shared machinery, not services (every other folder is a service). */
const sharedFolders = ["delivery", "policy", "service", "store"];
/** Shared folders that call services (delivery reaches each target service): held to the same contract rule. */
const callingFolders = ["delivery"];
/** The services as the engine's registry declares them: what the edge serves, and what this test checks. */
const services = engineServices.sections.map((section) => section.signingName);
/** Every folder of src/engine on disk. */
const folders = readdirSync(join(repo, "src/engine"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Each import from one service's folder into another service's folder: `from` imports `target`. */
function crossServiceImports(): Array<{ from: string; target: string }> {
  const found: Array<{ from: string; target: string }> = [];
  for (const service of [...services, ...callingFolders]) {
    const dir = join(repo, "src/engine", service);
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith(".ts"));
    for (const file of files) {
      const from = `src/engine/${service}/${file}`;
      const source = readFileSync(join(repo, from), "utf8");
      for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
        if (!fileName.startsWith(".")) continue;
        const target = join(dirname(from), fileName);
        const owner = services.find((other) => target.startsWith(`src/engine/${other}/`));
        if (owner && owner !== service) found.push({ from, target });
      }
    }
  }
  return found;
}

describe("Service boundaries: src/engine/<service>", () => {
  it("checks every service folder on disk: each is in the registry, under its signing name", () => {
    // Assess: a new folder is either registered (and so checked below) or named shared machinery here.
    expect(folders.filter((folder) => !sharedFolders.includes(folder)).sort()).toEqual([...services].sort());
    for (const service of services) expect(folders).toContain(service);
  });

  it("reaches another service only through its contract.ts", () => {
    // Act
    const imports = crossServiceImports();
    const violations = imports.filter(({ target }) => !target.endsWith("/contract.ts"));

    // Assess: the wiring exists (S3 and Lambda use the contracts), and nothing goes deeper.
    expect(imports.map(({ target }) => target)).toContain("src/engine/lambda/contract.ts");
    expect(imports.map(({ target }) => target)).toContain("src/engine/iam/contract.ts");
    expect(violations).toEqual([]);
  });
});
