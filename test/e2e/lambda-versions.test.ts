import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { repairStore } from "../../src/engine/repair.ts";
import { awsCliEnvironment } from "../helpers/aws-cli.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";

/**
 * Lambda versions, aliases and the settings the engine keeps (Architectures, EphemeralStorage, TracingConfig),
 * through the AWS SDK v3 and the AWS CLI v2 against the embedded engine.
 */

const run = promisify(execFile);
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const account = "000000000000";
const arnOf = (name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`;

let engine: Engine;
let lambda: LambdaClient;
let roleArn: string;

function zip(files: Record<string, string>): Uint8Array {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([name, text]) => [
        name,
        [strToU8(text), { mtime: new Date("2020-01-01T00:00:00Z") }],
      ]),
    ),
  );
}

/** A package whose handler answers `answer`. */
const answering = (answer: string) =>
  zip({ "index.mjs": `export const handler = async () => (${JSON.stringify(answer)});` });

async function createFunction(name: string, extra: Record<string, unknown> = {}) {
  const created = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: roleArn,
      Handler: "index.handler",
      Code: { ZipFile: answering("v1") },
      ...extra,
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: name });
  return created;
}

async function invoke(name: string, qualifier?: string) {
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) }),
  );
  return {
    executed: result.ExecutedVersion,
    body: JSON.parse(Buffer.from(result.Payload ?? new Uint8Array()).toString("utf8")) as unknown,
  };
}

async function updateCode(name: string, answer: string, publish = false) {
  const updated = await lambda.send(
    new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: answering(answer), Publish: publish }),
  );
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: name });
  return updated;
}

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run("/usr/bin/aws", ["--endpoint-url", engine.endpoint, "lambda", ...args], {
    env: awsCliEnvironment(engine.endpoint),
  });
  return stdout.trim() === "" ? undefined : JSON.parse(stdout);
}

async function cliError(...args: string[]): Promise<string> {
  try {
    await cli(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`aws lambda ${args.join(" ")} succeeded`);
}

/** Starts an engine (on `dataDir` when given); the role is created unless the data dir already has it. */
async function startWith(dataDir?: string, restart = false) {
  engine = await startEngine({ port: 0, ...(dataDir ? { dataDir } : {}) });
  lambda = new LambdaClient({ endpoint: engine.endpoint, region: "us-east-1", credentials });
  if (!restart) roleArn = await createLambdaRole(engine.endpoint, "versions-role");
}

async function stop() {
  lambda.destroy();
  await engine.stop();
}

describe("Lambda settings the engine keeps or refuses", () => {
  beforeAll(() => startWith());
  afterAll(() => stop());

  it("GetFunction and GetFunctionConfiguration with Qualifier=$LATEST answer the qualified FunctionArn", async () => {
    await createFunction("qualified-latest");
    const plain = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: "qualified-latest" }),
    );
    expect(plain.FunctionArn).toBe(arnOf("qualified-latest"));
    const configuration = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: "qualified-latest", Qualifier: "$LATEST" }),
    );
    expect(configuration.FunctionArn).toBe(`${arnOf("qualified-latest")}:$LATEST`);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: "qualified-latest:$LATEST" }));
    expect(got.Configuration?.FunctionArn).toBe(`${arnOf("qualified-latest")}:$LATEST`);
  });

  it("keeps Architectures, EphemeralStorage and TracingConfig and answers them back", async () => {
    const created = await createFunction("kept-settings", {
      Architectures: ["arm64"],
      EphemeralStorage: { Size: 1024 },
      TracingConfig: { Mode: "Active" },
      Tags: { team: "pipeline" },
    });
    expect(created.Architectures).toEqual(["arm64"]);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: "kept-settings" }))).Tags).toEqual({
      team: "pipeline",
    });
    expect(created.EphemeralStorage).toEqual({ Size: 1024 });
    expect(created.TracingConfig).toEqual({ Mode: "Active" });
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "kept-settings",
        EphemeralStorage: { Size: 10240 },
        TracingConfig: { Mode: "PassThrough" },
      }),
    );
    expect(updated.EphemeralStorage).toEqual({ Size: 10240 });
    expect(updated.TracingConfig).toEqual({ Mode: "PassThrough" });
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "kept-settings" });
    const code = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: "kept-settings",
        ZipFile: answering("x86"),
        Architectures: ["x86_64"],
      }),
    );
    expect(code.Architectures).toEqual(["x86_64"]);
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "kept-settings" });
    expect((await invoke("kept-settings")).body).toBe("x86");
  });

  it("refuses out-of-range settings with AWS's errors", async () => {
    const base = {
      FunctionName: "refused-settings",
      Runtime: "nodejs22.x" as const,
      Role: "",
      Handler: "index.handler",
      Code: { ZipFile: answering("never") },
    };
    const refusal = async (extra: Record<string, unknown>) =>
      lambda.send(new CreateFunctionCommand({ ...base, Role: roleArn, ...extra })).then(
        () => "accepted",
        (error: Error) => `${error.name}: ${error.message}`,
      );
    expect(await refusal({ EphemeralStorage: { Size: 20000 } })).toBe(
      "ValidationException: 1 validation error detected: Value '20000' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
    );
    expect(await refusal({ EphemeralStorage: { Size: 256 } })).toBe(
      "ValidationException: 1 validation error detected: Value '256' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
    );
    expect(await refusal({ Architectures: ["arm64", "x86_64"] })).toBe(
      "ValidationException: 1 validation error detected: Value '[arm64, x86_64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
    );
    expect(await refusal({ Architectures: ["sparc"] })).toBe(
      "ValidationException: 1 validation error detected: Value '[sparc]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
    );
    expect(await refusal({ TracingConfig: { Mode: "Sometimes" } })).toBe(
      "ValidationException: 1 validation error detected: Value 'Sometimes' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]",
    );
    expect(
      await refusal({
        Tags: Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, "v"])),
      }),
    ).toBe("InvalidParameterValueException: Number of tags exceeds resource tag limit.");
    expect(await refusal({ KMSKeyArn: "arn:aws:kms:us-east-1:000000000000:key/1" })).toMatch(
      /^InvalidParameterValueException: .*KMSKeyArn/,
    );
    expect(await refusal({ Layers: ["arn:aws:lambda:us-east-1:000000000000:layer:x:1"] })).toMatch(
      /^InvalidParameterValueException: .*Layers/,
    );
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: "refused-settings" }))).rejects.toThrow(
      /Function not found/,
    );
  });

  it("the AWS CLI sees the kept settings and gets the refusal by name", async () => {
    const configuration = (await cli(
      "get-function-configuration",
      "--function-name",
      "kept-settings",
      "--qualifier",
      "$LATEST",
    )) as Record<string, unknown>;
    expect(configuration.FunctionArn).toBe(`${arnOf("kept-settings")}:$LATEST`);
    expect(configuration.EphemeralStorage).toEqual({ Size: 10240 });
    const stderr = await cliError(
      "update-function-configuration",
      "--function-name",
      "kept-settings",
      "--vpc-config",
      "SubnetIds=subnet-1,SecurityGroupIds=sg-1",
    );
    expect(stderr).toMatch(/InvalidParameterValueException.*VpcConfig/);
  });
});

describe("Lambda versions", () => {
  beforeAll(() => startWith());
  afterAll(() => stop());

  it("Publish=True on CreateFunction creates version 1 and answers it", async () => {
    const created = await createFunction("published", { Publish: true });
    expect(created.Version).toBe("1");
    expect(created.FunctionArn).toBe(arnOf("published"));
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "published" }));
    expect(versions.Versions?.map((version) => version.Version)).toEqual(["$LATEST", "1"]);
    expect(versions.Versions?.map((version) => version.FunctionArn)).toEqual([
      `${arnOf("published")}:$LATEST`,
      `${arnOf("published")}:1`,
    ]);
  });

  it("a version is an immutable snapshot: invoking it runs its own code after $LATEST changes", async () => {
    await updateCode("published", "v2");
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "published",
        Description: "second",
        Timeout: 7,
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "published" });
    expect(await invoke("published")).toEqual({ executed: "$LATEST", body: "v2" });
    expect(await invoke("published", "1")).toEqual({ executed: "1", body: "v1" });
    expect(await invoke(`${arnOf("published")}:1`)).toEqual({ executed: "1", body: "v1" });
    const one = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "published:1" }));
    expect(one).toMatchObject({
      Version: "1",
      Timeout: 3,
      Description: "",
      FunctionArn: `${arnOf("published")}:1`,
    });
    const latest = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "published" }));
    expect(latest).toMatchObject({ Version: "$LATEST", Timeout: 7, Description: "second" });
  });

  it("PublishVersion checks CodeSha256 and RevisionId, and republishing unchanged code returns the latest version", async () => {
    const latest = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "published" }));
    await expect(
      lambda.send(new PublishVersionCommand({ FunctionName: "published", CodeSha256: "bm90IHRoZSBoYXNo" })),
    ).rejects.toThrow(
      `CodeSHA256 (bm90IHRoZSBoYXNo) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
    );
    await expect(
      lambda.send(new PublishVersionCommand({ FunctionName: "published", RevisionId: "stale" })),
    ).rejects.toThrow("The Revision Id provided does not match the latest Revision Id");
    const two = await lambda.send(
      new PublishVersionCommand({
        FunctionName: "published",
        CodeSha256: latest.CodeSha256,
        RevisionId: latest.RevisionId,
        Description: "the second",
      }),
    );
    expect(two).toMatchObject({ Version: "2", Description: "the second", Timeout: 7 });
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: "published" }));
    expect(again.Version).toBe("2");
    expect(await invoke("published", "2")).toEqual({ executed: "2", body: "v2" });
    const updated = await updateCode("published", "v3", true);
    expect(updated.Version).toBe("3");
    expect(await invoke("published", "3")).toEqual({ executed: "3", body: "v3" });
  });

  it("ListVersionsByFunction pages with Marker and MaxItems", async () => {
    const first = await lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: "published", MaxItems: 2 }),
    );
    expect(first.Versions?.map((version) => version.Version)).toEqual(["$LATEST", "1"]);
    expect(first.NextMarker).toBeDefined();
    const rest = await lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: "published", Marker: first.NextMarker, MaxItems: 5 }),
    );
    expect(rest.Versions?.map((version) => version.Version)).toEqual(["2", "3"]);
    expect(rest.NextMarker).toBeUndefined();
  });

  it("deletes one version; $LATEST only with the function; unknown versions are not found", async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "published", Qualifier: "1" }));
    await expect(invoke("published", "1")).rejects.toThrow(`Function not found: ${arnOf("published")}:1`);
    await expect(
      lambda.send(new DeleteFunctionCommand({ FunctionName: "published", Qualifier: "$LATEST" })),
    ).rejects.toThrow("$LATEST version cannot be deleted without deleting the function.");
    await expect(
      lambda.send(new GetFunctionCommand({ FunctionName: "published", Qualifier: "9" })),
    ).rejects.toThrow(`Function not found: ${arnOf("published")}:9`);
    expect(await invoke("published", "2")).toEqual({ executed: "2", body: "v2" });
  });

  it("the AWS CLI publishes and lists versions", async () => {
    await createFunction("cli-versions");
    const published = (await cli("publish-version", "--function-name", "cli-versions")) as Record<
      string,
      unknown
    >;
    expect(published.Version).toBe("1");
    const listed = (await cli("list-versions-by-function", "--function-name", "cli-versions")) as {
      Versions: Array<{ Version: string }>;
    };
    expect(listed.Versions.map((version) => version.Version)).toEqual(["$LATEST", "1"]);
    const outfile = join(await mkdtemp(join(tmpdir(), "cli-invoke-")), "out.json");
    const invoked = (await cli(
      "invoke",
      "--function-name",
      "cli-versions",
      "--qualifier",
      "1",
      outfile,
    )) as Record<string, unknown>;
    expect(invoked).toMatchObject({ StatusCode: 200, ExecutedVersion: "1" });
    expect(JSON.parse(await readFile(outfile, "utf8"))).toBe("v1");
    await rm(dirname(outfile), { recursive: true, force: true });
  });

  it("the AWS CLI lists functions (v2 sends ListFunctions to /2015-03-31/functions/, with a trailing slash)", async () => {
    await createFunction("cli-listed");
    const listed = (await cli("list-functions")) as { Functions: Array<{ FunctionName: string }> };
    expect(listed.Functions.map((entry) => entry.FunctionName)).toContain("cli-listed");
  });
});

describe("Lambda aliases", () => {
  beforeAll(async () => {
    await startWith();
    await createFunction("aliased", { Publish: true });
    await updateCode("aliased", "v2", true);
  });
  afterAll(() => stop());

  it("creates, gets, lists, updates and deletes an alias; invokes through it", async () => {
    const created = await lambda.send(
      new CreateAliasCommand({
        FunctionName: "aliased",
        Name: "live",
        FunctionVersion: "1",
        Description: "prod",
      }),
    );
    expect(created).toMatchObject({
      AliasArn: `${arnOf("aliased")}:live`,
      Name: "live",
      FunctionVersion: "1",
      Description: "prod",
    });
    expect(created.RevisionId).toBeDefined();
    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: "aliased", Name: "live", FunctionVersion: "1" })),
    ).rejects.toThrow(`Alias already exists: ${arnOf("aliased")}:live`);
    expect(await invoke("aliased", "live")).toEqual({ executed: "1", body: "v1" });
    expect(await invoke(`${arnOf("aliased")}:live`)).toEqual({ executed: "1", body: "v1" });
    const configuration = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: "aliased:live" }),
    );
    expect(configuration).toMatchObject({ FunctionArn: `${arnOf("aliased")}:live`, Version: "1" });

    await lambda.send(
      new CreateAliasCommand({ FunctionName: "aliased", Name: "next", FunctionVersion: "2" }),
    );
    const byVersion = await lambda.send(
      new ListAliasesCommand({ FunctionName: "aliased", FunctionVersion: "2" }),
    );
    expect(byVersion.Aliases?.map((alias) => alias.Name)).toEqual(["next"]);
    const all = await lambda.send(new ListAliasesCommand({ FunctionName: "aliased" }));
    expect(all.Aliases?.map((alias) => alias.Name)).toEqual(["live", "next"]);

    await expect(
      lambda.send(new UpdateAliasCommand({ FunctionName: "aliased", Name: "live", RevisionId: "stale" })),
    ).rejects.toThrow("The Revision Id provided does not match the latest Revision Id");
    const updated = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: "aliased",
        Name: "live",
        FunctionVersion: "2",
        RevisionId: created.RevisionId,
      }),
    );
    expect(updated.FunctionVersion).toBe("2");
    expect(updated.Description).toBe("prod");
    expect(await invoke("aliased", "live")).toEqual({ executed: "2", body: "v2" });

    await lambda.send(new DeleteAliasCommand({ FunctionName: "aliased", Name: "next" }));
    await expect(lambda.send(new GetAliasCommand({ FunctionName: "aliased", Name: "next" }))).rejects.toThrow(
      `Cannot find alias arn: ${arnOf("aliased")}:next`,
    );
    await expect(invoke("aliased", "next")).rejects.toThrow(/not found/i);
  });

  it("routes a weighted share of invocations to the additional version", async () => {
    await lambda.send(
      new CreateAliasCommand({
        FunctionName: "aliased",
        Name: "canary",
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.5 } },
      }),
    );
    const got = await lambda.send(new GetAliasCommand({ FunctionName: "aliased", Name: "canary" }));
    expect(got.RoutingConfig).toEqual({ AdditionalVersionWeights: { "2": 0.5 } });
    const executed = new Set<string | undefined>();
    for (let attempt = 0; attempt < 40 && executed.size < 2; attempt++)
      executed.add((await invoke("aliased", "canary")).executed);
    expect([...executed].sort()).toEqual(["1", "2"]);
    const routed = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: "aliased",
        Name: "canary",
        RoutingConfig: { AdditionalVersionWeights: { "2": 1 } },
      }),
    );
    expect(routed.RoutingConfig).toEqual({ AdditionalVersionWeights: { "2": 1 } });
    for (let attempt = 0; attempt < 5; attempt++)
      expect((await invoke("aliased", "canary")).executed).toBe("2");
  });

  it("refuses routing AWS refuses", async () => {
    const refusal = (weights: Record<string, number>, version = "1") =>
      lambda
        .send(
          new CreateAliasCommand({
            FunctionName: "aliased",
            Name: "refused",
            FunctionVersion: version,
            RoutingConfig: { AdditionalVersionWeights: weights },
          }),
        )
        .then(
          () => "accepted",
          (error: Error) => `${error.name}: ${error.message}`,
        );
    expect(await refusal({ "2": 0.1, "3": 0.1 })).toBe(
      "InvalidParameterValueException: Number of items in AdditionalVersionWeights cannot be greater than 1",
    );
    expect(await refusal({ "2": 1.5 })).toMatch(
      /^ValidationException: .*routingConfig.additionalVersionWeights/,
    );
    expect(await refusal({ "1": 0.5 })).toBe(
      "InvalidParameterValueException: Invalid function version 1. Function version 1 is already included in routing configuration.",
    );
    expect(await refusal({ "2": 0.5 }, "$LATEST")).toBe(
      "InvalidParameterValueException: $LATEST is not supported for an alias pointing to more than 1 version",
    );
    expect(await refusal({ "7": 0.5 })).toBe(
      `ResourceNotFoundException: Function not found: ${arnOf("aliased")}:7`,
    );
    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: "aliased", Name: "123", FunctionVersion: "1" })),
    ).rejects.toThrow("at 'name' failed to satisfy constraint");
  });

  it("refuses a resource policy on a qualifier by name, and on $LATEST as AWS does", async () => {
    const add = (qualifier: string) =>
      lambda.send(
        new AddPermissionCommand({
          FunctionName: "aliased",
          StatementId: `s3-${qualifier.replace(/\W/g, "")}`,
          Action: "lambda:InvokeFunction",
          Principal: "s3.amazonaws.com",
          Qualifier: qualifier,
        }),
      );
    await expect(add("$LATEST")).rejects.toThrow("We currently do not support adding policies for $LATEST.");
    await expect(add("live")).rejects.toThrow(/AddPermission with the qualifier live .* not supported/);
  });

  it("refuses asynchronous invocation of a version or alias by name instead of running $LATEST", async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: "aliased", Qualifier: "1", InvocationType: "Event" })),
    ).rejects.toThrow(/InvocationType Event.*\(1\) is not supported by the embedded engine/);
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: "aliased",
        StatementId: "s3-invoke",
        Action: "lambda:InvokeFunction",
        Principal: "s3.amazonaws.com",
      }),
    );
    const s3 = new S3Client({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials,
      forcePathStyle: true,
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "alias-notifications" }));
      const notify = (arn: string) =>
        s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket: "alias-notifications",
            NotificationConfiguration: {
              LambdaFunctionConfigurations: [{ LambdaFunctionArn: arn, Events: ["s3:ObjectCreated:*"] }],
            },
          }),
        );
      await expect(notify(`${arnOf("aliased")}:live`)).rejects.toThrow(
        "Unable to validate the following destination configurations",
      );
      await notify(arnOf("aliased"));
    } finally {
      s3.destroy();
    }
  });

  it("the AWS CLI manages aliases", async () => {
    const created = (await cli(
      "create-alias",
      "--function-name",
      "aliased",
      "--name",
      "cli",
      "--function-version",
      "2",
      "--routing-config",
      '{"AdditionalVersionWeights":{"1":0.25}}',
    )) as Record<string, unknown>;
    expect(created).toMatchObject({
      Name: "cli",
      FunctionVersion: "2",
      RoutingConfig: { AdditionalVersionWeights: { "1": 0.25 } },
    });
    const listed = (await cli("list-aliases", "--function-name", "aliased", "--function-version", "2")) as {
      Aliases: Array<{ Name: string }>;
    };
    expect(listed.Aliases.map((alias) => alias.Name)).toEqual(["cli", "live"]);
    await cli("delete-alias", "--function-name", "aliased", "--name", "cli");
    expect(await cliError("get-alias", "--function-name", "aliased", "--name", "cli")).toMatch(
      /ResourceNotFoundException/,
    );
  });
});

describe("Lambda tags", () => {
  beforeAll(() => startWith());
  afterAll(() => stop());

  it("tags, lists and untags a function by its ARN (SDK and AWS CLI); 50 at most after the change", async () => {
    await createFunction("tagged", { Tags: { team: "media" } });
    const arn = arnOf("tagged");
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { stage: "dev" } }));
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({
      team: "media",
      stage: "dev",
    });
    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ["team"] }));
    expect(await cli("list-tags", "--resource", arn)).toEqual({ Tags: { stage: "dev" } });
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: "tagged" }))).Tags).toEqual({
      stage: "dev",
    });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, "v"]));
    const refused = await lambda
      .send(new TagResourceCommand({ Resource: arn, Tags: many }))
      .catch((error: Error) => error);
    expect(refused).toMatchObject({
      name: "InvalidParameterValueException",
      message: "Number of tags exceeds resource tag limit.",
    });
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ stage: "dev" });
    const missing = await lambda
      .send(new ListTagsCommand({ Resource: arnOf("nothing-here") }))
      .catch((error: Error) => error);
    expect(missing).toMatchObject({ name: "ResourceNotFoundException" });
  });
});

describe("Lambda versions and aliases persist", () => {
  it("keeps versions (each with its code) and aliases across a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "lambda-versions-"));
    try {
      await startWith(dataDir);
      await createFunction("kept", {
        Publish: true,
        Architectures: ["arm64"],
        EphemeralStorage: { Size: 2048 },
      });
      await updateCode("kept", "v2", true);
      await lambda.send(
        new CreateAliasCommand({
          FunctionName: "kept",
          Name: "live",
          FunctionVersion: "1",
          RoutingConfig: { AdditionalVersionWeights: { "2": 0.3 } },
        }),
      );
      await stop();
      await startWith(dataDir, true);
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "kept" });
      const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "kept" }));
      expect(versions.Versions?.map((version) => version.Version)).toEqual(["$LATEST", "1", "2"]);
      expect(versions.Versions?.[1]).toMatchObject({
        Architectures: ["arm64"],
        EphemeralStorage: { Size: 2048 },
      });
      const alias = await lambda.send(new GetAliasCommand({ FunctionName: "kept", Name: "live" }));
      expect(alias).toMatchObject({
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.3 } },
      });
      expect(await invoke("kept", "1")).toEqual({ executed: "1", body: "v1" });
      expect(await invoke("kept", "2")).toEqual({ executed: "2", body: "v2" });
      const three = await lambda.send(new PublishVersionCommand({ FunctionName: "kept" }));
      expect(three.Version).toBe("2");
    } finally {
      await stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a published version whose code file is gone: the start refuses, and repair drops that version and the alias routing to it, keeping the rest", async () => {
    // Prepare: version 1 answers "v1", version 2 and $LATEST "v2"; the alias routes to version 1. Then version 1's
    // code file (content-addressed, so only version 1 names it) is deleted.
    const dataDir = await mkdtemp(join(tmpdir(), "lambda-versions-"));
    try {
      await startWith(dataDir);
      await createFunction("kept", { Publish: true });
      await updateCode("kept", "v2", true);
      await lambda.send(new CreateAliasCommand({ FunctionName: "kept", Name: "old", FunctionVersion: "1" }));
      await lambda.send(new CreateAliasCommand({ FunctionName: "kept", Name: "new", FunctionVersion: "2" }));
      await stop();
      const hex = createHash("sha256").update(answering("v1")).digest("hex");
      await unlink(join(dataDir, "lambda", "code", `${hex}.zip`));
      // Act
      const refused = await startEngine({ port: 0, dataDir }).then(
        async (started) => {
          await started.stop();
          return undefined;
        },
        (error: Error) => error.message,
      );
      const report = await repairStore(dataDir);
      await startWith(dataDir, true);
      // Assess
      expect(refused).toMatch(/code of function kept .* is missing.*pipeline repair --persist/);
      expect(
        report.entries.find((entry) => entry.file.endsWith(join("lambda", "journal.log"))),
      ).toMatchObject({
        status: "repaired",
        lost: [
          expect.stringMatching(/^Lambda function kept version 1: its code file .* is missing or short$/),
          expect.stringMatching(
            /^Lambda function kept alias old: it routes to version 1, which was dropped$/,
          ),
        ],
      });
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "kept" });
      const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "kept" }));
      expect(versions.Versions?.map((version) => version.Version)).toEqual(["$LATEST", "2"]);
      const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: "kept" }));
      expect(aliases.Aliases?.map((alias) => alias.Name)).toEqual(["new"]);
      expect(await invoke("kept", "2")).toEqual({ executed: "2", body: "v2" });
      expect(await invoke("kept")).toEqual({ executed: "$LATEST", body: "v2" });
    } finally {
      await stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
