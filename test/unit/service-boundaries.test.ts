import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const services = ["iam", "sts", "logs", "dynamodb", "lambda", "s3", "sqs"];

/** Each import from one service's folder into another service's folder: `from` imports `target`. */
function crossServiceImports(): Array<{ from: string; target: string }> {
  const found: Array<{ from: string; target: string }> = [];
  for (const service of services) {
    const dir = join(repo, "src/engine", service);
    let files: string[];
    try {
      files = (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith(".ts"));
    } catch {
      continue;
    }
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
