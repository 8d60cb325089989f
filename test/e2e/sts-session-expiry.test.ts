import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { IAMClient, ListRolesCommand, UpdateRoleCommand } from "@aws-sdk/client-iam";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  AssumeRoleCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { allowEverything, assumeAccountRole } from "../helpers/assumed-role.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { failure } from "../helpers/sdk-failure.ts";

/**
 * Temporary credentials stop working at the Expiration STS answered with (before, the engine honoured them for
 * ever). The engine runs in this process, so moving the process's clock (a fake Date that keeps running) moves the
 * engine's: the clients sign with it too, which no service here checks against its own.
 */

const execFileAsync = promisify(execFile);
const region = "us-east-1";
const admin = EMULATOR_CREDENTIALS;

type Session = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * AssumeRole's credentials as the SDK's static credentials, without their Expiration: the SDK would refuse to
 * sign with credentials it knows are expired, and the point is what the engine does with them.
 */
const sessionOf = (credentials: Credentials | undefined): Session => ({
  accessKeyId: credentials?.AccessKeyId ?? "",
  secretAccessKey: credentials?.SecretAccessKey ?? "",
  sessionToken: credentials?.SessionToken ?? "",
});

/** A call per service, as each SDK makes it with `credentials`. */
/** Sends with a client made for the call, and lets the client's connections go once it is answered. */
function once<C extends { destroy(): void }, T>(client: C, send: (client: C) => Promise<T>): Promise<T> {
  return send(client).finally(() => client.destroy());
}

function callsAs(endpoint: string, credentials: Session) {
  const config = { endpoint, region, credentials, maxAttempts: 1 };
  return {
    sts: () => once(new STSClient(config), (c) => c.send(new GetCallerIdentityCommand({}))),
    iam: () => once(new IAMClient(config), (c) => c.send(new ListRolesCommand({}))),
    s3: () =>
      once(new S3Client({ ...config, forcePathStyle: true }), (c) => c.send(new ListBucketsCommand({}))),
    dynamodb: () => once(new DynamoDBClient(config), (c) => c.send(new ListTablesCommand({}))),
    sqs: () => once(new SQSClient(config), (c) => c.send(new ListQueuesCommand({}))),
    lambda: () => once(new LambdaClient(config), (c) => c.send(new ListFunctionsCommand({}))),
    logs: () => once(new CloudWatchLogsClient(config), (c) => c.send(new DescribeLogGroupsCommand({}))),
  };
}

/** Starts an engine with a role the account may assume, and assumes it for 900 s (STS's shortest). */
function engineWithSession(options: { enforceIam?: boolean } = {}) {
  const state = {
    engine: undefined as unknown as Engine,
    session: undefined as unknown as Session,
    expiration: 0,
  };
  beforeAll(async () => {
    state.engine = await startEngine({ port: 0, ...options });
    // Whatever the session is refused, it is not for want of permission.
    const assumed = await assumeAccountRole(state.engine.endpoint, {
      roleName: "short-lived",
      sessionName: "brief",
      durationSeconds: 900,
      inlinePolicy: allowEverything,
    });
    state.session = assumed.session;
    state.expiration = assumed.expiration;
  });
  afterAll(async () => {
    await state.engine?.stop();
  });
  return state;
}

/** Moves this process's clock (and so the engine's) to `at`, and lets it run on from there. */
function travelTo(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(at);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("temporary credentials past their expiration, IAM enforced", () => {
  const state = engineWithSession();

  it("acts as the role on every service until the Expiration STS named", async () => {
    expect(state.expiration - Date.now()).toBeGreaterThan(898_000);
    const calls = callsAs(state.engine.endpoint, state.session);
    expect((await calls.sts()).Arn).toBe("arn:aws:sts::000000000000:assumed-role/short-lived/brief");
    travelTo(state.expiration - 2000);
    for (const call of Object.values(calls)) await call();
  });

  it("is refused by every service once expired, with each protocol's code, status and message", async () => {
    travelTo(state.expiration);
    const calls = callsAs(state.engine.endpoint, state.session);
    const expired = "The security token included in the request is expired";
    const refusals = Object.fromEntries(
      await Promise.all(
        Object.entries(calls).map(async ([service, call]) => [service, await failure(call())]),
      ),
    );
    expect(refusals).toEqual({
      sts: { name: "ExpiredToken", code: "ExpiredToken", message: expired, status: 403 },
      iam: { name: "ExpiredToken", code: "ExpiredToken", message: expired, status: 403 },
      s3: {
        name: "ExpiredToken",
        code: "ExpiredToken",
        message: "The provided token has expired.",
        status: 400,
      },
      dynamodb: { name: "ExpiredTokenException", message: expired, status: 403 },
      // SQS speaks JSON with the query protocol's codes beside (x-amzn-query-error): the SDK names the query code.
      sqs: { name: "ExpiredToken", code: "ExpiredToken", message: expired, status: 403 },
      lambda: { name: "ExpiredTokenException", message: expired, status: 403 },
      logs: { name: "ExpiredTokenException", message: expired, status: 403 },
    });
  });

  it("is refused through the AWS CLI as well", async () => {
    const cli = findAwsCliV2();
    if (!cli) throw new Error("the AWS CLI v2 is needed (scripts/ensure-test-tools.sh installs it)");
    travelTo(state.expiration + 60_000);
    const env = {
      ...awsCliEnvironment(state.engine.endpoint),
      AWS_ACCESS_KEY_ID: state.session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: state.session.secretAccessKey,
      AWS_SESSION_TOKEN: state.session.sessionToken,
    };
    const run = (...args: string[]) =>
      execFileAsync(cli, [...args, "--endpoint-url", state.engine.endpoint], { env }).catch(
        (caught: { code?: number; stderr?: string }) => caught,
      );
    const [sts, s3] = await Promise.all([run("sts", "get-caller-identity"), run("s3api", "list-buckets")]);
    expect(sts).toMatchObject({ code: 254 });
    expect((sts as { stderr: string }).stderr).toContain(
      "An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired",
    );
    expect(s3).toMatchObject({ code: 254 });
    expect((s3 as { stderr: string }).stderr).toContain(
      "An error occurred (ExpiredToken) when calling the ListBuckets operation: The provided token has expired.",
    );
  });

  it("refuses a browser-form POST signed by the expired session (its key and token are form fields)", async () => {
    const s3 = new S3Client({
      endpoint: state.engine.endpoint,
      region,
      credentials: admin,
      forcePathStyle: true,
    });
    await once(s3, (c) => c.send(new CreateBucketCommand({ Bucket: "expiry-forms" })));
    travelTo(state.expiration + 1000);
    const form = new FormData();
    form.set("key", "late.txt");
    form.set("X-Amz-Credential", `${state.session.accessKeyId}/20261207/us-east-1/s3/aws4_request`);
    form.set("X-Amz-Security-Token", state.session.sessionToken ?? "");
    form.set("file", new Blob([Buffer.from("late")]), "late.txt");
    const answer = await fetch(`${state.engine.endpoint}/expiry-forms`, { method: "POST", body: form });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain(
      "<Code>ExpiredToken</Code><Message>The provided token has expired.</Message>",
    );
  });

  it("refuses the session's key without its token, or with a token of another", async () => {
    const endpoint = state.engine.endpoint;
    const { sessionToken: _token, ...keyOnly } = state.session;
    const invalid = "The security token included in the request is invalid.";
    const withoutToken = callsAs(endpoint, keyOnly);
    expect(await failure(withoutToken.sts())).toEqual({
      name: "InvalidClientTokenId",
      code: "InvalidClientTokenId",
      message: invalid,
      status: 403,
    });
    expect(await failure(withoutToken.dynamodb())).toEqual({
      name: "UnrecognizedClientException",
      message: invalid,
      status: 400,
    });
    expect(await failure(withoutToken.s3())).toEqual({
      name: "InvalidToken",
      code: "InvalidToken",
      message: "The provided token is malformed or otherwise invalid.",
      status: 400,
    });
    const otherToken = callsAs(endpoint, { ...state.session, sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE" });
    expect(await failure(otherToken.lambda())).toEqual({
      name: "UnrecognizedClientException",
      message: invalid,
      status: 403,
    });
  });

  it("keeps nothing per session: 1,100 more assumed and used leave 1,024 remembered as verified", async () => {
    const sts = new STSClient({ endpoint: state.engine.endpoint, region, credentials: admin });
    for (let i = 0; i < 1100; i++) {
      const { Credentials } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: "arn:aws:iam::000000000000:role/short-lived",
          RoleSessionName: `s${i}`,
        }),
      );
      expect((await callsAs(state.engine.endpoint, sessionOf(Credentials)).sts()).Arn).toBe(
        `arn:aws:sts::000000000000:assumed-role/short-lived/s${i}`,
      );
    }
    sts.destroy();
    expect(state.engine.context.credentials.verifiedSessions).toBe(1024);
  });
});

describe("a session's length, bounded as STS bounds it", () => {
  const state = engineWithSession();
  const assume = (credentials: Session, RoleArn: string, DurationSeconds: number) =>
    once(new STSClient({ endpoint: state.engine.endpoint, region, credentials, maxAttempts: 1 }), (c) =>
      c.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: "length", DurationSeconds })),
    );
  const roleArn = "arn:aws:iam::000000000000:role/short-lived";

  it("refuses a DurationSeconds past the role's MaxSessionDuration (3600 unless set), SDK and AWS CLI", async () => {
    const overRole = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";
    expect((await assume(admin, roleArn, 3600)).Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(await failure(assume(admin, roleArn, 3601))).toEqual({
      name: "ValidationError",
      code: "ValidationError",
      message: overRole,
      status: 400,
    });
    await once(new IAMClient({ endpoint: state.engine.endpoint, region, credentials: admin }), (c) =>
      c.send(new UpdateRoleCommand({ RoleName: "short-lived", MaxSessionDuration: 7200 })),
    );
    expect((await assume(admin, roleArn, 7200)).Credentials?.Expiration).toBeInstanceOf(Date);
    expect(await failure(assume(admin, roleArn, 7201))).toMatchObject({
      name: "ValidationError",
      message: overRole,
    });

    const cli = findAwsCliV2();
    if (!cli) throw new Error("the AWS CLI v2 is needed (scripts/ensure-test-tools.sh installs it)");
    const refused = await execFileAsync(
      cli,
      [
        "sts",
        "assume-role",
        "--role-arn",
        roleArn,
        "--role-session-name",
        "cli",
        "--duration-seconds",
        "7201",
        "--endpoint-url",
        state.engine.endpoint,
      ],
      { env: awsCliEnvironment(state.engine.endpoint) },
    ).catch((caught: { code?: number; stderr?: string }) => caught);
    expect(refused).toMatchObject({ code: 254 });
    expect((refused as { stderr: string }).stderr).toContain(
      `An error occurred (ValidationError) when calling the AssumeRole operation: ${overRole}`,
    );
  });

  it("refuses more than an hour to a role session assuming a role (role chaining)", async () => {
    // The role's own limit is 7200 from the test before: an hour is still the most a chained session gets.
    expect((await assume(state.session, roleArn, 3600)).AssumedRoleUser?.Arn).toBe(
      "arn:aws:sts::000000000000:assumed-role/short-lived/length",
    );
    expect(await failure(assume(state.session, roleArn, 3601))).toEqual({
      name: "ValidationError",
      code: "ValidationError",
      message:
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      status: 400,
    });
  });
});

describe("temporary credentials past their expiration, IAM not enforced", () => {
  const state = engineWithSession({ enforceIam: false });

  it("still act as the role, as LocalStack, which checks no credentials, lets them", async () => {
    travelTo(state.expiration + 3_600_000);
    const calls = callsAs(state.engine.endpoint, state.session);
    expect((await calls.sts()).Arn).toBe("arn:aws:sts::000000000000:assumed-role/short-lived/brief");
    await calls.s3();
    await calls.dynamodb();
  });
});

describe("temporary credentials across a restart of the engine", () => {
  const dataDirs: string[] = [];
  afterAll(async () => {
    for (const dataDir of dataDirs) await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs `act` against an engine started with `options`, stopping it however `act` ends. */
  async function withEngine<T>(
    options: { dataDir?: string },
    act: (engine: Engine) => Promise<T>,
  ): Promise<T> {
    const engine = await startEngine({ port: 0, ...options });
    try {
      return await act(engine);
    } finally {
      await engine.stop();
    }
  }

  /** Makes a role the account may assume, and assumes it for an hour. */
  const assumeOn = (engine: Engine) =>
    assumeAccountRole(engine.endpoint, { roleName: "restarted", sessionName: "kept", durationSeconds: 3600 });

  const assumedArn = "arn:aws:sts::000000000000:assumed-role/restarted/kept";

  it("with --persist, a session issued before the restart still acts as its role (SDK and AWS CLI), until its Expiration", async () => {
    const cli = findAwsCliV2();
    if (!cli) throw new Error("the AWS CLI v2 is needed (scripts/ensure-test-tools.sh installs it)");
    const dataDir = await mkdtemp(join(tmpdir(), "sts-restart-"));
    dataDirs.push(dataDir);
    const { session, expiration } = await withEngine({ dataDir }, assumeOn);
    await withEngine({ dataDir }, async (engine) => {
      const calls = callsAs(engine.endpoint, session);
      expect((await calls.sts()).Arn).toBe(assumedArn);
      // As the role, which no policy allows anything: not as the administrator.
      expect(await failure(calls.s3())).toMatchObject({
        name: "AccessDenied",
        status: 403,
        message: expect.stringContaining(
          `User: ${assumedArn} is not authorized to perform: s3:ListAllMyBuckets`,
        ),
      });
      const { stdout } = await execFileAsync(
        cli,
        ["sts", "get-caller-identity", "--endpoint-url", engine.endpoint, "--output", "json"],
        {
          env: {
            ...awsCliEnvironment(engine.endpoint),
            AWS_ACCESS_KEY_ID: session.accessKeyId,
            AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
            AWS_SESSION_TOKEN: session.sessionToken,
          },
        },
      );
      expect((JSON.parse(stdout) as { Arn: string }).Arn).toBe(assumedArn);
      travelTo(expiration);
      expect(await failure(calls.sts())).toMatchObject({ code: "ExpiredToken", status: 403 });
    });
  });

  it("without --persist, an earlier run's session is refused as unknown, not taken for the administrator", async () => {
    const { session } = await withEngine({}, assumeOn);
    await withEngine({}, async (engine) => {
      const calls = callsAs(engine.endpoint, session);
      expect(await failure(calls.sts())).toMatchObject({ code: "InvalidClientTokenId", status: 403 });
      expect(await failure(calls.s3())).toMatchObject({ name: "InvalidToken", status: 400 });
    });
  });
});
