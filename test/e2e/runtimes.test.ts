import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { AttachRolePolicyCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { strToU8, unzipSync, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionArtifact } from "../../src/artifact/build.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import { waitForRecord } from "../../src/pipeline/records.ts";
import { provisionStack } from "../../src/stack/provision.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { hasStackTrace, parseJson, runCli, startCli, useCliCleanup } from "../helpers/cli.ts";
import { eventually } from "../helpers/poll.ts";

/**
 * Each function runs on the Node major its runtime names: Node 20, 22 and 24 come from `pipeline runtimes install`
 * (the npm registry's Node builds, cached per user, so only the first run on a machine downloads).
 */
useCliCleanup();

const majors = [20, 22, 24] as const;
const runtimeOf = (major: number) => `nodejs${major}.x`;
const trustPolicy = defineStack().trustPolicy;

type Clients = ReturnType<typeof createAwsClients>;

/** A role Lambda may assume and that may write the function's logs; returns its ARN. */
async function functionRole(clients: Clients, name: string): Promise<string> {
  const role = await clients.iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy) }),
  );
  await clients.iam.send(
    new AttachRolePolicyCommand({
      RoleName: name,
      PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    }),
  );
  return String(role.Role?.Arn);
}

/** CreateFunction from one file's source (`index.handler`); the promise settles when the call does. */
function createFunction(
  clients: Clients,
  name: string,
  runtime: string,
  role: string,
  file: [string, string],
) {
  return clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime as "nodejs22.x",
      Role: role,
      Handler: "index.handler",
      Code: { ZipFile: zipSync({ [file[0]]: strToU8(file[1]) }) },
    }),
  );
}

/** Waits until the function is Active, invokes it once, and returns its error kind and parsed payload. */
async function invokeWhenActive(
  clients: Clients,
  name: string,
): Promise<{ functionError?: string; payload: Record<string, unknown> }> {
  await waitUntilFunctionActiveV2({ client: clients.lambda, maxWaitTime: 30 }, { FunctionName: name });
  const result = await clients.lambda.send(new InvokeCommand({ FunctionName: name, Payload: strToU8("{}") }));
  return {
    ...(result.FunctionError ? { functionError: result.FunctionError } : {}),
    payload: JSON.parse(Buffer.from(result.Payload ?? []).toString("utf8")) as Record<string, unknown>,
  };
}

/** The pipeline's bundle plus `probe.mjs`: logs the Node it runs on, then hands the event to the real handler. */
async function probedArtifact(): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "pipeline-runtimes-"));
  try {
    const artifact = await buildFunctionArtifact({ outFile: join(dir, "function.zip") });
    const files = unzipSync(artifact.zip);
    files["probe.mjs"] = strToU8(
      [
        'import { handler as ingest } from "./index.mjs";',
        "export const handler = async (event, context) => {",
        '  console.log("RUNTIME_PROBE " + JSON.stringify({ version: process.version, executionEnv: process.env.AWS_EXECUTION_ENV }));',
        "  return ingest(event, context);",
        "};",
      ].join("\n"),
    );
    return zipSync(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("runtimes: the function runs on the Node its runtime names", () => {
  let engine: Engine;
  let clients: ReturnType<typeof createAwsClients>;

  beforeAll(async () => {
    // Node 20 too: a machine whose own Node is 22 or 24 (the CI matrix) may have no Node 20 of its own.
    const install = await runCli(["runtimes", "install", ...majors.map(runtimeOf), "--json"], {
      timeoutMs: 240_000,
    });
    expect(install.code, install.stderr).toBe(0);
    engine = await startEngine({ port: 0 });
    clients = createAwsClients({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
  }, 300_000);

  afterAll(async () => {
    clients?.destroy();
    await engine?.stop();
  });

  it("lists each runtime on a binary of its own major, none emulated", async () => {
    const listed = parseJson<{ runtimes: Array<{ runtime: string; node: string; emulated: boolean }> }>(
      await runCli(["runtimes", "--json"]),
    );
    for (const major of majors) {
      const entry = listed.runtimes.find((r) => r.runtime === runtimeOf(major));
      expect(entry?.emulated).toBe(false);
      expect(entry?.node).toMatch(new RegExp(`^v${major}\\.`));
    }
    const info = (await (await fetch(`${engine.endpoint}/_localstack/info`)).json()) as {
      lambda_runtimes: Record<string, { node: string; emulated: boolean }>;
    };
    for (const major of majors) {
      expect(info.lambda_runtimes[runtimeOf(major)]?.emulated).toBe(false);
      expect(info.lambda_runtimes[runtimeOf(major)]?.node).toMatch(new RegExp(`^v${major}\\.`));
    }
  });

  it("S3 -> Lambda -> DynamoDB on nodejs20.x, 22.x and 24.x: each reports its own Node and AWS_EXECUTION_ENV, and the records are identical", async () => {
    const artifact = await probedArtifact();
    const body = strToU8("runtime fidelity probe, same bytes for every runtime");
    const records: Record<string, unknown>[] = [];
    for (const major of majors) {
      const suffix = `rt${major}`;
      const stack = {
        ...defineStack({
          bucket: `runtime-${suffix}`,
          table: `runtime-${suffix}`,
          functionName: `runtime-${suffix}`,
          roleName: `runtime-${suffix}-role`,
          runtime: runtimeOf(major),
        }),
        handler: "probe.handler",
      };
      await provisionStack({ clients, stack, artifact });
      const put = await clients.s3.send(
        new PutObjectCommand({
          Bucket: stack.bucket,
          Key: "uploads/probe.jpg",
          Body: body,
          ContentType: "image/jpeg",
        }),
      );
      const found = await waitForRecord(
        clients,
        stack,
        "uploads/probe.jpg",
        stripETagQuotes(put.ETag ?? ""),
        {
          timeoutMs: 30_000,
        },
      );
      if (!found) throw new Error(`no record from ${stack.runtime}`);
      const probe = await eventually(`the RUNTIME_PROBE line of ${stack.runtime}`, async () => {
        // Found in the group's events, not with a filter pattern (LocalStack community ignores them).
        const { events } = await clients.logs.send(
          new FilterLogEventsCommand({ logGroupName: stack.logGroupName }),
        );
        const line = events?.find((e) => e.message?.includes("RUNTIME_PROBE "))?.message;
        if (!line) return undefined;
        return JSON.parse(line.slice(line.indexOf("RUNTIME_PROBE ") + "RUNTIME_PROBE ".length)) as {
          version: string;
          executionEnv: string;
        };
      });
      expect(probe.version).toMatch(new RegExp(`^v${major}\\.`));
      expect(probe.executionEnv).toBe(`AWS_Lambda_nodejs${major}.x`);
      // Per stack (names) or per delivery (ids, times); everything the function derives from the object stays.
      const { bucket, PK, requestId, processedAt, eventTime, sequencer, lastModified, ...derived } =
        found.item as unknown as Record<string, unknown>;
      expect({ bucket, PK }).toEqual({ bucket: stack.bucket, PK: `IMG#${stack.bucket}#uploads/probe.jpg` });
      expect([requestId, processedAt, eventTime, sequencer, lastModified].every(Boolean)).toBe(true);
      records.push(derived);
    }
    expect(records[1]).toEqual(records[0]);
    expect(records[2]).toEqual(records[0]);
  }, 120_000);

  it("a callback-style handler fails on nodejs24.x as AWS fails it, and works on nodejs22.x", async () => {
    const role = await functionRole(clients, "runtime-callback-role");
    const source: [string, string] = [
      "index.js",
      "exports.handler = (event, context, callback) => callback(null, { node: process.version });",
    ];
    const outcomes: Record<string, { functionError?: string; payload: Record<string, unknown> }> = {};
    for (const major of [22, 24]) {
      await createFunction(clients, `runtime-callback-${major}`, runtimeOf(major), role, source);
      outcomes[major] = await invokeWhenActive(clients, `runtime-callback-${major}`);
    }
    expect(outcomes[22]?.functionError).toBeUndefined();
    expect(String(outcomes[22]?.payload.node)).toMatch(/^v22\./);
    expect(outcomes[24]?.functionError).toBe("Unhandled");
    expect(outcomes[24]?.payload.errorType).toBe("Runtime.CallbackHandlerDeprecated");
    expect(outcomes[24]?.payload.errorMessage).toBe(
      "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.",
    );
  }, 60_000);
});

describe("runtimes: a major that is not here is emulated and said so, or refused with strictRuntime", () => {
  // A runtime whose major is neither the engine's own nor findable: an empty cache, no version managers in an empty
  // home, and a PATH holding only the engine's own Node.
  const missing = [22, 24]
    .map(runtimeOf)
    .find((runtime) => !runtime.startsWith(`nodejs${process.versions.node.split(".")[0]}.`)) as string;
  let home: string;
  const engines: Engine[] = [];

  /** Starts an engine that sees the bare environment above (the resolver reads it when the engine starts). */
  async function bareEngine(strictRuntime: boolean): Promise<Engine> {
    const saved = {
      HOME: process.env.HOME,
      PATH: process.env.PATH,
      PIPELINE_RUNTIMES_DIR: process.env.PIPELINE_RUNTIMES_DIR,
    };
    Object.assign(process.env, {
      HOME: home,
      PATH: dirname(process.execPath),
      PIPELINE_RUNTIMES_DIR: join(home, "none"),
    });
    try {
      const engine = await startEngine({ port: 0, lambda: { strictRuntime } });
      engines.push(engine);
      return engine;
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "pipeline-bare-home-"));
  });
  afterAll(async () => {
    for (const engine of engines) await engine.stop();
    await rm(home, { recursive: true, force: true });
  });

  it("runs on the engine's Node with AWS's variables, and says so in /_localstack/info and the INIT_START line", async () => {
    const engine = await bareEngine(false);
    const clients = createAwsClients({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
    try {
      const info = (await (await fetch(`${engine.endpoint}/_localstack/info`)).json()) as {
        lambda_runtimes: Record<string, { emulated: boolean; description: string }>;
      };
      const notice = `${missing} emulated on Node ${process.versions.node}: run \`pipeline runtimes install ${missing}\``;
      expect(info.lambda_runtimes[missing]).toMatchObject({ emulated: true, description: notice });
      await createFunction(clients, "bare-fn", missing, await functionRole(clients, "bare-role"), [
        "index.mjs",
        "export const handler = async () => ({ node: process.version, env: process.env.AWS_EXECUTION_ENV });",
      ]);
      expect((await invokeWhenActive(clients, "bare-fn")).payload).toEqual({
        node: process.version,
        env: `AWS_Lambda_${missing}`,
      });
      const initLines = await eventually("the INIT_START line", async () => {
        const { events } = await clients.logs
          .send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/bare-fn" }))
          .catch(() => ({ events: undefined }));
        const init = events?.filter((e) => e.message?.startsWith("INIT_START"));
        return init?.length ? init.map((e) => e.message) : undefined;
      });
      expect(initLines).toEqual([`INIT_START Runtime Version: ${notice}`]);
    } finally {
      clients.destroy();
    }
  }, 60_000);

  it("with strictRuntime, CreateFunction on that runtime is refused with the same words", async () => {
    const engine = await bareEngine(true);
    const clients = createAwsClients({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
    try {
      const create = createFunction(
        clients,
        "strict-fn",
        missing,
        await functionRole(clients, "strict-role"),
        ["index.mjs", "export const handler = async () => 1;"],
      );
      await expect(create).rejects.toMatchObject({
        name: "InvalidParameterValueException",
        message: `${missing} emulated on Node ${process.versions.node}: run \`pipeline runtimes install ${missing}\` (strict runtime)`,
      });
    } finally {
      clients.destroy();
    }
  });

  it("`pipeline up --strict-runtime` refuses to start on that runtime: one line, exit 2; without it, up starts and warns", async () => {
    const env = {
      HOME: home,
      PATH: dirname(process.execPath),
      PIPELINE_RUNTIMES_DIR: join(home, "none"),
      PIPELINE_RUNTIME: missing,
    };
    const strict = await runCli(["up", "--bare", "--port", "0", "--strict-runtime"], { env });
    expect(strict.code).toBe(2);
    expect(strict.stderr.trim().split("\n")).toHaveLength(1);
    expect(strict.stderr).toContain(
      `${missing} emulated on Node ${process.versions.node}: run \`pipeline runtimes install ${missing}\` (--strict-runtime)`,
    );
    expect(hasStackTrace(strict.stderr)).toBe(false);
    // Without the flag the same environment starts, and says what it emulates.
    const lenient = startCli(["--json", "up", "--bare", "--port", "0"], { env });
    await lenient.waitForJson((line) => line.event === "ready");
    expect(lenient.stderr).toContain(`${missing} emulated on Node ${process.versions.node}`);
    expect((await lenient.stop("SIGINT")).code).toBe(0);
  }, 60_000);
});
