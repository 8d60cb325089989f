import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { renderStackEnv } from "../../src/stack/shell-env.ts";
import { defineStack } from "../../src/stack/spec.ts";
import {
  type ComposeFile,
  type ContainerRun,
  type ContainerSpec,
  containerSupport,
  type ImageStandIn,
  nodeImage,
  readCompose,
  runContainer,
} from "./container-runtime.ts";

/** npm of the node:20 images the old compose file used, where the EROFS failure was seen. */
const NODE20_IMAGE_NPM = "10.8.2";
/** npm 11 as in node:24-bookworm-slim (the newest 11.x when this was written; node:24 images ship npm 11). */
const NODE24_IMAGE_NPM = "11.21.2";
const OLD_COMPOSE = join(repoRoot, "test/contract/fixtures/docker-compose.before-issue-12.yml");
const DOCKER_SOCKET = "/var/run/docker.sock";
/** Compose variables as a user without an .env file has them. */
const USER_ENV = {};

const support = containerSupport();
/** Each scenario runs npm or the AWS CLI dozens of times: minutes on a loaded 2-core machine, not the default 60 s. */
const SCENARIO_TIMEOUT_MS = 300_000;

/** A fresh clone of the working tree (tracked and untracked, not ignored files): no dist/, no node_modules/. */
function freshClone(into: string, compose?: string): string {
  const dir = join(into, "checkout");
  mkdirSync(dir, { recursive: true });
  const files = execFileSync(
    "git",
    // As root over a checkout another user owns (sudo on GitHub's runners), git would refuse "dubious ownership".
    ["-c", "safe.directory=*", "ls-files", "-z", "-co", "--exclude-standard"],
    { cwd: repoRoot },
  );
  execFileSync(
    "bash",
    ["-c", `tar -C ${repoRoot} --null -T - --ignore-failed-read -cf - | tar -C ${dir} -xf -`],
    {
      input: files,
    },
  );
  if (compose) writeFileSync(join(dir, "docker-compose.yml"), readFileSync(compose));
  return dir;
}

/** Every file in the checkout with its size and mtime: what the build service must leave alone. */
function snapshot(dir: string): string {
  return execFileSync("bash", ["-c", `cd ${dir} && find . -printf '%p %s %T@ %u\\n' | sort`], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

function imageFor(service: ComposeFile["services"][string]): ImageStandIn {
  if (service.image.startsWith("node:20")) return nodeImage(service.image, NODE20_IMAGE_NPM);
  if (service.image.startsWith("node:24")) return nodeImage(service.image, NODE24_IMAGE_NPM);
  if (service.image.startsWith("localstack/localstack:")) return localstackStandIn(service.image);
  throw new Error(`no stand-in for image ${service.image}`);
}

/**
 * LocalStack's image as far as it matters to the hooks: its init directories, and an engine that runs ready.d as
 * LocalStack's runner does (this repo's, mounted at /opt/pipeline-engine, since LocalStack cannot run here).
 */
function localstackStandIn(name: string): ImageStandIn {
  return {
    name,
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root" },
    setup: [
      `mkdir -p "$root"/etc/localstack/init/{boot,start,ready,shutdown}.d "$root/opt/pipeline-engine"`,
      `mount --bind ${repoRoot} "$root/opt/pipeline-engine"`,
      `mount -o remount,bind,ro "$root/opt/pipeline-engine"`,
    ].join("\n"),
  };
}

/**
 * LocalStack's start as the stand-in does it, then what a user and CI do against it: Docker's healthcheck until it
 * decides, `.ci/wait-localstack.sh`, and `pipeline verify` from the host's checkout.
 */
function localstackScenario(checkout: string, healthcheck: string[]): string {
  const [kind, ...test] = healthcheck;
  const check =
    kind === "CMD-SHELL"
      ? `in_container /bin/sh -c ${JSON.stringify(test.join(" "))}`
      : `in_container ${test.map((t) => `'${t}'`).join(" ")}`;
  // The host checkout's `npm ci`, lent from this one: a bind, not a symlink, so the bundle's source paths (and so
  // its chunk hashes and CodeSha256) are those of a real node_modules/ in the checkout.
  return `
mkdir -p ${checkout}/node_modules && mount --bind ${repoRoot}/node_modules ${checkout}/node_modules
in_container node /opt/pipeline-engine/cli/bin/pipeline.js up --bare --init-dir /etc/localstack/init --port 4566 >"$workdir/engine.log" 2>&1 &
engine=$!
trap 'kill -9 $engine 2>/dev/null || true' EXIT
# Docker probes until the check exits 0 (healthy). Once the READY stage has completed nothing changes any more, so
# the probe after that decides (Docker would then count retries to "unhealthy").
health=1
for _ in $(seq 1 1200); do
  settled=no
  curl -fsS http://127.0.0.1:4566/_localstack/init/ready 2>/dev/null | grep -Eq '"completed": ?true' && settled=yes
  health=0; ${check} >"$workdir/health.txt" 2>&1 || health=$?
  [ "$health" = 0 ] || [ "$settled" = yes ] && break
  kill -0 "$engine" 2>/dev/null || break
  sleep 0.25
done
echo "HEALTH_EXIT=$health"; cat "$workdir/health.txt"
echo "CONTAINER_STACK_ENV_BEGIN"; in_container cat /etc/localstack/stack.env; echo "CONTAINER_STACK_ENV_END"
in_container /bin/sh -c 'test -f "$PIPELINE_FUNCTION_ZIP"' && echo "ZIP_IN_CONTAINER=yes" || echo "ZIP_IN_CONTAINER=no"
started=$(date +%s%N); wait_exit=0
bash ${checkout}/.ci/wait-localstack.sh http://127.0.0.1:4566 20 >"$workdir/wait.txt" 2>&1 || wait_exit=$?
echo "WAIT_EXIT=$wait_exit WAIT_MS=$(( ($(date +%s%N) - started) / 1000000 ))"; cat "$workdir/wait.txt"
if [ "$health" = 0 ]; then
  verify_exit=0
  (cd ${checkout} && node cli/bin/pipeline.js --endpoint http://127.0.0.1:4566 verify) >"$workdir/verify.txt" 2>&1 || verify_exit=$?
  echo "VERIFY_EXIT=$verify_exit"; cat "$workdir/verify.txt"
fi
echo "ENGINE_LOG_BEGIN"; cat "$workdir/engine.log"; echo "ENGINE_LOG_END"
`;
}

const field = (run: ContainerRun, name: string) => run.output.match(new RegExp(`${name}=(\\S+)`))?.[1];
const between = (run: ContainerRun, tag: string) =>
  run.output.split(`${tag}_BEGIN\n`)[1]?.split(`${tag}_END`)[0] ?? "";

describe.skipIf(!support.ok)(
  `Container contract of docker-compose.yml, run as Docker would in mount namespaces (no Docker engine: the Docker socket, Lambda's sibling containers and the images' own Node are not reproduced)${support.ok ? "" : `: skipped, ${support.reason}`}`,
  { timeout: SCENARIO_TIMEOUT_MS },
  () => {
    let scratch: string;
    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), "pipeline-contract-"));
    });
    afterAll(() => {
      rmSync(scratch, { recursive: true, force: true });
    });

    function spec(compose: ComposeFile, name: string, checkout: string, volumes: string): ContainerSpec {
      const service = compose.services[name];
      if (!service) throw new Error(`no service ${name}`);
      return {
        service,
        image: imageFor(service),
        projectDir: checkout,
        volumesDir: volumes,
        skipTargets: [DOCKER_SOCKET],
        privateNetwork: name === "localstack",
      };
    }

    describe("the compose file before issue 12 (fixture)", () => {
      const compose = readCompose(OLD_COMPOSE, USER_ENV);

      it("cannot create function-build on a fresh clone: its volumes' mount points lie inside the read-only checkout", () => {
        const dir = join(scratch, "old-fresh");
        const checkout = freshClone(dir, OLD_COMPOSE);

        const run = runContainer(spec(compose, "function-build", checkout, join(dir, "volumes")));

        expect(run.code, run.output).toBe(125);
        expect(run.output).toMatch(
          /container create failed: .*to rootfs at "\/workspace\/(dist|node_modules)".*read-only file system/,
        );
      });

      it(`fails npm ci (npm ${NODE20_IMAGE_NPM}) with EROFS on the workspace bin, even where dist/ and node_modules/ exist`, () => {
        const dir = join(scratch, "old-built");
        const checkout = freshClone(dir, OLD_COMPOSE);
        mkdirSync(join(checkout, "dist"));
        mkdirSync(join(checkout, "node_modules"));

        const run = runContainer(spec(compose, "function-build", checkout, join(dir, "volumes")));

        expect(run.code, run.output).not.toBe(0);
        expect(run.output).toMatch(
          /EROFS: read-only file system, chmod '\/workspace\/node_modules\/@image-metadata-pipeline\/cli\/bin\/pipeline\.js'/,
        );
      });
    });

    describe("the compose file before issue 12 (fixture), its healthcheck", () => {
      it("calls LocalStack healthy although its ready hook failed: /_localstack/health says nothing about hooks", () => {
        const dir = join(scratch, "old-health");
        const checkout = freshClone(dir, OLD_COMPOSE);
        const compose = readCompose(join(checkout, "docker-compose.yml"), USER_ENV);
        const localstack = compose.services.localstack;
        if (!localstack?.healthcheck) throw new Error("unexpected compose shape");

        // No build ran, so the hook finds no zip and ends in ERROR.
        const run = runContainer(
          spec(compose, "localstack", checkout, join(dir, "volumes")),
          localstackScenario(checkout, localstack.healthcheck.test),
        );

        expect(between(run, "ENGINE_LOG")).toMatch(/10-pipeline-stack\.sh\s+ERROR/);
        expect(field(run, "HEALTH_EXIT"), run.output).toBe("0");
      });
    });

    describe("the compose file as it is", () => {
      // CONTRACT_COMPOSE=test/contract/fixtures/docker-compose.before-issue-12.yml runs these against the old file:
      // they fail there (container creation), which is how the fix was shown to be needed.
      const composePath = join(repoRoot, process.env.CONTRACT_COMPOSE ?? "docker-compose.yml");
      const compose = readCompose(composePath, USER_ENV);
      let checkout: string;
      let volumes: string;
      let firstBuild: ContainerRun;
      let before: string;

      beforeAll(() => {
        checkout = freshClone(join(scratch, "new"), composePath);
        volumes = join(scratch, "new", "volumes");
        before = snapshot(checkout);
        firstBuild = runContainer(spec(compose, "function-build", checkout, volumes));
      }, SCENARIO_TIMEOUT_MS);

      it(`function-build (npm ${NODE24_IMAGE_NPM}) builds the function zip on a fresh clone, into its volume`, () => {
        expect(firstBuild.code, firstBuild.output).toBe(0);
        expect(firstBuild.output).toMatch(/built dist\/function\.zip/);
        expect(readFileSync(join(volumes, "function-dist/function.zip")).length).toBeGreaterThan(1000);
      });

      it("function-build leaves the checkout exactly as it was (nothing written, so nothing root-owned)", () => {
        expect(snapshot(checkout)).toBe(before);
      });

      it("function-build's second run, with the kept volumes, skips the install and takes seconds", () => {
        const started = Date.now();
        const again = runContainer(spec(compose, "function-build", checkout, volumes));
        const ms = Date.now() - started;
        expect(again.code, again.output).toBe(0);
        expect(again.output).toContain("function-build: dependencies unchanged");
        expect(ms).toBeLessThan(30_000);
      });

      it("localstack waits for function-build to complete successfully", () => {
        expect(compose.services.localstack?.depends_on).toEqual({
          "function-build": { condition: "service_completed_successfully" },
        });
      });

      it("localstack runs the ready hook with awslocal, turns healthy, and `pipeline verify` on the host passes", () => {
        const service = compose.services.localstack;
        if (!service?.healthcheck) throw new Error("localstack has no healthcheck");

        const run = runContainer(
          spec(compose, "localstack", checkout, volumes),
          localstackScenario(checkout, service.healthcheck.test),
        );

        expect(field(run, "HEALTH_EXIT"), run.output).toBe("0");
        expect(between(run, "ENGINE_LOG")).toMatch(/10-pipeline-stack\.sh\s+SUCCESSFUL/);
        expect(between(run, "ENGINE_LOG")).toContain("pipeline-hook: stack ready");
        expect(between(run, "CONTAINER_STACK_ENV")).toBe(renderStackEnv(defineStack()));
        expect(field(run, "ZIP_IN_CONTAINER")).toBe("yes");
        expect(field(run, "WAIT_EXIT")).toBe("0");
        expect(run.output).toContain("built dist/function.zip to compare with the deployed code");
        expect(field(run, "VERIFY_EXIT"), run.output).toBe("0");
      });
    });

    describe("what the contract catches", () => {
      it("a zip path that does not exist in the container: the hook exits non-zero, the healthcheck and wait-localstack.sh fail within seconds naming it", () => {
        const dir = join(scratch, "bad-zip");
        const checkout = freshClone(dir);
        const compose = readCompose(join(checkout, "docker-compose.yml"), USER_ENV);
        const localstack = compose.services.localstack;
        if (!localstack?.environment || !localstack.healthcheck) throw new Error("unexpected compose shape");
        localstack.environment.PIPELINE_FUNCTION_ZIP = "/opt/pipeline/function.zip";

        const run = runContainer(
          spec(compose, "localstack", checkout, join(dir, "volumes")),
          localstackScenario(checkout, localstack.healthcheck.test),
        );

        expect(field(run, "ZIP_IN_CONTAINER")).toBe("no");
        // init-status.sh: 2 means a script is in ERROR (any non-zero is unhealthy to Docker).
        expect(field(run, "HEALTH_EXIT"), run.output).toBe("2");
        expect(run.output).toMatch(/10-pipeline-stack\.sh failed \(state ERROR\)/);
        expect(between(run, "ENGINE_LOG")).toContain("function zip not found");
        expect(field(run, "WAIT_EXIT")).toBe("1");
        expect(Number(field(run, "WAIT_MS"))).toBeLessThan(5_000);
      });

      it("a stack.env that does not match `pipeline stack env`", () => {
        const dir = join(scratch, "bad-env");
        const checkout = freshClone(dir);
        const envFile = join(checkout, "localstack/stack.env");
        writeFileSync(envFile, readFileSync(envFile, "utf8").replace("PIPELINE_TABLE=", "PIPELINE_TABLE=x"));
        const compose = readCompose(join(checkout, "docker-compose.yml"), USER_ENV);

        const run = runContainer(
          spec(compose, "localstack", checkout, join(dir, "volumes")),
          "in_container cat /etc/localstack/stack.env",
        );

        expect(run.code, run.output).toBe(0);
        expect(run.output).not.toBe(renderStackEnv(defineStack()));
        expect(run.output).toContain("PIPELINE_TABLE=x");
      });
    });
  },
);
