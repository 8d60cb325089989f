import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/artifact/paths.ts";
import { LOCALSTACK_VARIABLES } from "../../src/engine/like-localstack.ts";
import { renderStackEnv } from "../../src/stack/shell-env.ts";
import { defineStack } from "../../src/stack/spec.ts";

interface ComposeService {
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

describe("File: docker-compose.yml", () => {
  const localstack = compose.services.localstack as ComposeService;
  const build = compose.services["function-build"] as ComposeService;

  it("pins the last LocalStack image that runs without an auth token, overridable", () => {
    // Compose interpolation syntax, not template literals.
    const dollar = "$";
    expect(localstack.image).toBe(`${dollar}{LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}`);
    expect(localstack.environment?.LOCALSTACK_AUTH_TOKEN).toBe(`${dollar}{LOCALSTACK_AUTH_TOKEN:-}`);
  });

  it("publishes the edge port on loopback only", () => {
    expect(localstack.ports).toEqual(["127.0.0.1:4566:4566"]);
  });

  it("serves every service the stack uses", () => {
    expect(localstack.environment?.SERVICES?.split(",").sort()).toEqual([
      "dynamodb",
      "iam",
      "lambda",
      "logs",
      "s3",
      "sqs",
      "sts",
    ]);
  });

  it("mounts the Docker socket, the ready hooks, the stack env, the status check and the built function", () => {
    expect(localstack.volumes).toEqual(
      expect.arrayContaining([
        "/var/run/docker.sock:/var/run/docker.sock",
        "./localstack/init/ready.d:/etc/localstack/init/ready.d:ro",
        "./localstack/stack.env:/etc/localstack/stack.env:ro",
        "./localstack/init-status.sh:/etc/localstack/init-status.sh:ro",
        "function-dist:/opt/pipeline/dist:ro",
      ]),
    );
    expect(localstack.environment?.PIPELINE_FUNCTION_ZIP).toBe("/opt/pipeline/dist/function.zip");
  });

  it("is healthy only when every ready hook is SUCCESSFUL, not when /_localstack/health answers", () => {
    expect(localstack.healthcheck?.test).toEqual([
      "CMD",
      "bash",
      "/etc/localstack/init-status.sh",
      "http://localhost:4566",
    ]);
  });

  it("retries failed async invocations in seconds, overridable (failed events reach the on-failure queue soon)", () => {
    const dollar = "$";
    // LocalStack reads LAMBDA_RETRY_BASE_DELAY (its config.py; LAMBDA_RETRY_BASE_DELAY_SECONDS is only the Python
    // constant's name): with the constant's name the delay stays 60 s.
    expect(localstack.environment?.LAMBDA_RETRY_BASE_DELAY).toBe(`${dollar}{LAMBDA_RETRY_BASE_DELAY:-2}`);
    expect(localstack.environment).not.toHaveProperty("LAMBDA_RETRY_BASE_DELAY_SECONDS");
  });

  it("sets only variables LocalStack 4.14.0 reads (docs/localstack.md cites each) or the hook's own PIPELINE_*", () => {
    const unknown = Object.keys(localstack.environment ?? {}).filter(
      (name) => !name.startsWith("PIPELINE_") && !(name in LOCALSTACK_VARIABLES),
    );
    expect(unknown).toEqual([]);
    const docs = readFileSync(join(repoRoot, "docs/localstack.md"), "utf8");
    for (const name of Object.keys(LOCALSTACK_VARIABLES)) expect(docs, name).toContain(`\`${name}\``);
  });

  it("runs the function with the host's architecture (no x86_64 emulation on arm64)", () => {
    expect(localstack.environment?.LAMBDA_IGNORE_ARCHITECTURE).toBe("1");
  });

  it("builds the function first, from the read-only checkout into volumes, with an npm cache", () => {
    expect(localstack.depends_on?.["function-build"]?.condition).toBe("service_completed_successfully");
    expect(build.image).toBe("node:24-bookworm-slim");
    expect(build.command).toEqual(["bash", "/workspace/localstack/build-function.sh"]);
    expect(build.volumes).toEqual([
      "./:/workspace:ro",
      "function-build:/build",
      "function-dist:/build/dist",
      "npm-cache:/npm-cache",
    ]);
    expect(build.environment?.npm_config_cache).toBe("/npm-cache");
    expect(Object.keys(compose.volumes).sort()).toEqual(["function-build", "function-dist", "npm-cache"]);
  });
});

describe("File: localstack/", () => {
  it("has stack.env generated from the current stack spec", () => {
    const committed = readFileSync(join(repoRoot, "localstack/stack.env"), "utf8");
    expect(committed).toBe(renderStackEnv(defineStack()));
  });

  it("has executable scripts with a shebang (LocalStack and Docker run them by path)", () => {
    for (const script of [
      "localstack/init/ready.d/10-pipeline-stack.sh",
      "localstack/init-status.sh",
      "localstack/build-function.sh",
    ]) {
      const path = join(repoRoot, script);
      expect(readFileSync(path, "utf8").startsWith("#!/usr/bin/env bash\n"), script).toBe(true);
      expect(statSync(path).mode & 0o111, script).not.toBe(0);
    }
  });
});

describe("File: .ci/localstack-suites.sh", () => {
  it("names every end-to-end suite, either to run against LocalStack or as left out with its reason", () => {
    const script = readFileSync(join(repoRoot, ".ci/localstack-suites.sh"), "utf8");
    const suites = readdirSync(join(repoRoot, "test/e2e")).filter((name) => name.endsWith(".test.ts"));
    expect(suites.filter((suite) => !script.includes(suite))).toEqual([]);
  });

  it("runs the failed-events suite against LocalStack (the on-failure queue and `pipeline failed` on a second target)", () => {
    const script = readFileSync(join(repoRoot, ".ci/localstack-suites.sh"), "utf8");
    const run = /\nsuites=\(([^)]*)\)/.exec(script)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    expect(run).toContain("failed-events.test.ts");
    expect(run).toContain("stack.test.ts");
  });
});
