import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { awsCliEnvironment } from "../helpers/aws-cli.ts";
import { eventually } from "../helpers/poll.ts";

const execFileAsync = promisify(execFile);
const region = "us-east-1";
const account = "000000000000";
const admin = { accessKeyId: "test", secretAccessKey: "test" };
const cannotAssume = "The role defined for the function cannot be assumed by Lambda.";

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** A trust policy with one Allow statement for `principal` (and any further statements). */
function trust(principal: Record<string, unknown> | "*", ...more: Array<Record<string, unknown>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }, ...more],
  });
}

const code = zipSync({ "index.mjs": strToU8("export const handler = async (event) => ({ echo: event });") });

/** One engine with its clients, and what the tests created in it (removed in `stop`). */
function engineFixture(options: Parameters<typeof startEngine>[0]) {
  const state = {
    engine: undefined as unknown as Engine,
    roles: [] as string[],
    functions: [] as string[],
    inline: [] as Array<[string, string]>,
  };
  const clients = (credentials: Credentials = admin) => ({
    iam: new IAMClient({ endpoint: state.engine.endpoint, region, credentials }),
    lambda: new LambdaClient({ endpoint: state.engine.endpoint, region, credentials }),
    sts: new STSClient({ endpoint: state.engine.endpoint, region, credentials }),
  });
  const createRole = async (roleName: string, document: string): Promise<string> => {
    const { Role } = await clients().iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: document }),
    );
    state.roles.push(roleName);
    return Role?.Arn as string;
  };
  const createFunction = (name: string, roleArn: string) =>
    clients().lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs22.x",
        Role: roleArn,
        Handler: "index.handler",
        Code: { ZipFile: code },
      }),
    );
  const start = async () => {
    state.engine = await startEngine({ port: 0, ...options });
  };
  const stop = async () => {
    if (!state.engine) return;
    const { iam, lambda } = clients();
    for (const name of state.functions) await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    for (const [role, policy] of state.inline)
      await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policy }));
    for (const role of state.roles) await iam.send(new DeleteRoleCommand({ RoleName: role }));
    await state.engine.stop();
  };
  return { state, clients, createRole, createFunction, start, stop };
}

async function assume(sts: STSClient, roleArn: string, session = "e2e-session"): Promise<Credentials> {
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId as string,
    secretAccessKey: Credentials?.SecretAccessKey as string,
    sessionToken: Credentials?.SessionToken as string,
  };
}

describe("Role trust policies, enforced", () => {
  const fixture = engineFixture({ lambda: { maxRetries: 0 } });
  const { clients, createRole, createFunction, state } = fixture;

  beforeAll(fixture.start);
  afterAll(fixture.stop);

  describe("Lambda execution roles", () => {
    it("rejects CreateFunction with a role that trusts only EC2, with Lambda's message", async () => {
      // Prepare
      const roleArn = await createRole("trust-ec2-only", trust({ Service: "ec2.amazonaws.com" }));
      // Act
      const error = await createFunction("trust-rejected", roleArn).catch((caught: unknown) => caught);
      // Assess
      expect(error).toMatchObject({
        name: "InvalidParameterValueException",
        message: cannotAssume,
        $metadata: { httpStatusCode: 400 },
      });
    });

    it("rejects a role whose trust policy allows Lambda but denies it explicitly", async () => {
      const roleArn = await createRole(
        "trust-lambda-denied",
        trust("*", { Effect: "Deny", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:*" }),
      );
      const error = await createFunction("trust-denied", roleArn).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "InvalidParameterValueException", message: cannotAssume });
    });

    it("creates a function whose role trusts lambda.amazonaws.com, and it becomes Active", async () => {
      // Prepare
      const roleArn = await createRole(
        "trust-lambda",
        trust({ Service: ["ec2.amazonaws.com", "lambda.amazonaws.com"] }),
      );
      const { lambda } = clients();
      // Act
      await createFunction("trust-ok", roleArn);
      state.functions.push("trust-ok");
      await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "trust-ok" });
      // Assess
      const configuration = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: "trust-ok" }),
      );
      expect(configuration).toMatchObject({ State: "Active", Role: roleArn });
    });

    it("rejects UpdateFunctionConfiguration to a role Lambda cannot assume", async () => {
      const { lambda } = clients();
      const error = await lambda
        .send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: "trust-ok",
            Role: `arn:aws:iam::${account}:role/trust-ec2-only`,
          }),
        )
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "InvalidParameterValueException", message: cannotAssume });
      const configuration = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: "trust-ok" }),
      );
      expect(configuration.Role).toBe(`arn:aws:iam::${account}:role/trust-lambda`);
    });

    it("fails invocations that need a new environment once the trust policy stops allowing Lambda (AWS CLI update-assume-role-policy)", async () => {
      // Prepare: a function that has never run, so its next invocation needs a new environment.
      const roleArn = await createRole("trust-changing", trust({ Service: "lambda.amazonaws.com" }));
      const { lambda, iam } = clients();
      await createFunction("trust-changing-fn", roleArn);
      state.functions.push("trust-changing-fn");
      await waitUntilFunctionActiveV2(
        { client: lambda, maxWaitTime: 20 },
        { FunctionName: "trust-changing-fn" },
      );
      await execFileAsync(
        "/usr/bin/aws",
        [
          "iam",
          "update-assume-role-policy",
          "--endpoint-url",
          state.engine.endpoint,
          "--role-name",
          "trust-changing",
          "--policy-document",
          trust({ Service: "ec2.amazonaws.com" }),
        ],
        { env: awsCliEnvironment(state.engine.endpoint) },
      );
      // Act
      const sync = await lambda
        .send(new InvokeCommand({ FunctionName: "trust-changing-fn", Payload: strToU8("{}") }))
        .catch((caught: unknown) => caught);
      const asyncRequest = await lambda.send(
        new InvokeCommand({
          FunctionName: "trust-changing-fn",
          InvocationType: "Event",
          Payload: strToU8('{"async":true}'),
        }),
      );
      // Assess: sync fails as the Invoke API does for a role Lambda cannot assume; the event fails its attempt.
      expect(sync).toMatchObject({
        name: "InvalidParameterValueException",
        message: cannotAssume,
        $metadata: { httpStatusCode: 400 },
      });
      expect(asyncRequest.StatusCode).toBe(202);
      const failed = await eventually("the failed event of 'trust-changing-fn'", () =>
        state.engine.apis.lambda
          ?.listFailedEvents()
          .find((event) => event.functionName === "trust-changing-fn"),
      );
      expect(failed).toMatchObject({
        attempts: 1,
        errorType: "InvalidParameterValueException",
        errorMessage: cannotAssume,
        payload: { async: true },
      });

      // Act: trust Lambda again
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "trust-changing",
          PolicyDocument: trust({ Service: "lambda.amazonaws.com" }),
        }),
      );
      const again = await lambda.send(
        new InvokeCommand({ FunctionName: "trust-changing-fn", Payload: strToU8('{"n":1}') }),
      );
      // Assess
      expect(again.FunctionError).toBeUndefined();
      expect(JSON.parse(Buffer.from(again.Payload ?? []).toString("utf8"))).toEqual({ echo: { n: 1 } });
    });

    it("keeps a warm environment running after the trust policy changes (its credentials were issued)", async () => {
      const { lambda, iam } = clients();
      await lambda.send(new InvokeCommand({ FunctionName: "trust-changing-fn", Payload: strToU8("{}") }));
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "trust-changing",
          PolicyDocument: trust({ Service: "ec2.amazonaws.com" }),
        }),
      );
      const warm = await lambda.send(
        new InvokeCommand({ FunctionName: "trust-changing-fn", Payload: strToU8('{"warm":true}') }),
      );
      expect(warm.FunctionError).toBeUndefined();
      // A configuration change retires the warm environment; the next one cannot start.
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "trust-changing-fn",
          Environment: { Variables: { REVISION: "2" } },
        }),
      );
      await waitUntilFunctionUpdatedV2(
        { client: lambda, maxWaitTime: 20 },
        { FunctionName: "trust-changing-fn" },
      );
      const cold = await lambda
        .send(new InvokeCommand({ FunctionName: "trust-changing-fn", Payload: strToU8("{}") }))
        .catch((caught: unknown) => caught);
      expect(cold).toMatchObject({ name: "InvalidParameterValueException", message: cannotAssume });
    });
  });

  describe("STS AssumeRole", () => {
    it("denies the account's administrator a role that trusts only Lambda", async () => {
      // Prepare
      const roleArn = await createRole("sts-lambda-only", trust({ Service: "lambda.amazonaws.com" }));
      // Act
      const error = await assume(clients().sts, roleArn).catch((caught: unknown) => caught);
      // Assess
      expect(error).toMatchObject({
        name: "AccessDenied",
        message: `User: arn:aws:iam::${account}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        $metadata: { httpStatusCode: 403 },
      });
    });

    it.each([
      ["the account root ARN", "sts-root", { AWS: `arn:aws:iam::${account}:root` }],
      ["the account id", "sts-account-id", { AWS: account }],
      ['"*"', "sts-anyone", "*" as const],
    ])("issues credentials when the trust policy names %s", async (_label, roleName, principal) => {
      // Prepare
      const roleArn = await createRole(roleName, trust(principal));
      // Act
      const credentials = await assume(clients().sts, roleArn, "worker");
      const identity = await clients(credentials).sts.send(new GetCallerIdentityCommand({}));
      // Assess
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
      expect(identity.Arn).toBe(`arn:aws:sts::${account}:assumed-role/${roleName}/worker`);
    });

    it("denies when a Deny statement names the caller, whatever else allows", async () => {
      const roleArn = await createRole(
        "sts-denied",
        trust({ AWS: account }, { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }),
      );
      const error = await assume(clients().sts, roleArn).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: "AccessDenied" });
    });

    it("lets a role session assume a role that trusts its role, and not one that trusts another role", async () => {
      // Prepare: A may call sts:AssumeRole on anything; B trusts A, C trusts some other role.
      const roleA = await createRole("chain-a", trust({ AWS: account }));
      await clients().iam.send(
        new PutRolePolicyCommand({
          RoleName: "chain-a",
          PolicyName: "assume",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
          }),
        }),
      );
      state.inline.push(["chain-a", "assume"]);
      const roleB = await createRole("chain-b", trust({ AWS: roleA }));
      const roleC = await createRole("chain-c", trust({ AWS: `arn:aws:iam::${account}:role/chain-b` }));
      const asA = clients(await assume(clients().sts, roleA, "a-session")).sts;
      // Act
      const intoB = await assume(asA, roleB, "b-session");
      const intoC = await assume(asA, roleC, "c-session").catch((caught: unknown) => caught);
      // Assess
      expect(intoB.accessKeyId).toMatch(/^ASIA/);
      expect(intoC).toMatchObject({
        name: "AccessDenied",
        message: `User: arn:aws:sts::${account}:assumed-role/chain-a/a-session is not authorized to perform: sts:AssumeRole on resource: ${roleC}`,
      });
    });

    it("denies through the AWS CLI too (sts assume-role)", async () => {
      const roleArn = `arn:aws:iam::${account}:role/sts-lambda-only`;
      const error = await execFileAsync(
        "/usr/bin/aws",
        [
          "sts",
          "assume-role",
          "--endpoint-url",
          state.engine.endpoint,
          "--role-arn",
          roleArn,
          "--role-session-name",
          "cli",
        ],
        { env: awsCliEnvironment(state.engine.endpoint) },
      ).catch((caught: { code?: number; stderr?: string }) => caught);
      expect(error).toMatchObject({ code: 254 });
      expect((error as { stderr: string }).stderr).toContain(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole",
      );
    });
  });
});

describe("Role trust policies with IAM enforcement off", () => {
  const fixture = engineFixture({ enforceIam: false });
  const { clients, createRole, createFunction, state } = fixture;

  beforeAll(fixture.start);
  afterAll(fixture.stop);

  it("issues credentials for a role that trusts only Lambda", async () => {
    const roleArn = await createRole("lax-lambda-only", trust({ Service: "lambda.amazonaws.com" }));
    const credentials = await assume(clients().sts, roleArn);
    expect(credentials.accessKeyId).toMatch(/^ASIA/);
  });

  it("creates and invokes a function whose role trusts only EC2", async () => {
    const roleArn = await createRole("lax-ec2-only", trust({ Service: "ec2.amazonaws.com" }));
    const { lambda } = clients();
    await createFunction("lax-fn", roleArn);
    state.functions.push("lax-fn");
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "lax-fn" });
    const result = await lambda.send(new InvokeCommand({ FunctionName: "lax-fn", Payload: strToU8("{}") }));
    expect(result.FunctionError).toBeUndefined();
  });
});
