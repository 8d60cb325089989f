import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../src/artifact/paths.ts";
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
      "sts",
    ]);
  });

  it("mounts the Docker socket, the ready hooks, the stack env and the built function", () => {
    expect(localstack.volumes).toEqual(
      expect.arrayContaining([
        "/var/run/docker.sock:/var/run/docker.sock",
        "./localstack/init/ready.d:/etc/localstack/init/ready.d:ro",
        "./localstack/stack.env:/etc/localstack/stack.env:ro",
        "function-dist:/opt/pipeline/dist:ro",
      ]),
    );
    expect(localstack.environment?.PIPELINE_FUNCTION_ZIP).toBe("/opt/pipeline/dist/function.zip");
  });

  it("health-checks /_localstack/health", () => {
    expect(localstack.healthcheck?.test.join(" ")).toContain("http://localhost:4566/_localstack/health");
  });

  it("builds the function first, into the shared volume, from the lock file", () => {
    expect(localstack.depends_on?.["function-build"]?.condition).toBe("service_completed_successfully");
    expect(build.image).toMatch(/^node:20/);
    expect(build.command?.join(" ")).toContain("npm ci");
    expect(build.command?.join(" ")).toContain("npm run build");
    expect(build.volumes).toContain("function-dist:/workspace/dist");
    expect(Object.keys(compose.volumes)).toContain("function-dist");
  });
});

describe("File: localstack/", () => {
  it("has stack.env generated from the current stack spec", () => {
    const committed = readFileSync(join(repoRoot, "localstack/stack.env"), "utf8");
    expect(committed).toBe(renderStackEnv(defineStack()));
  });

  it("has executable ready hooks with a shebang", () => {
    const hook = join(repoRoot, "localstack/init/ready.d/10-pipeline-stack.sh");
    expect(readFileSync(hook, "utf8").startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(statSync(hook).mode & 0o111).not.toBe(0);
  });
});
