import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  paginateFilterLogEvents,
  paginateGetLogEvents,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";

const execFileAsync = promisify(execFile);
const region = "us-east-1";
const admin = { accessKeyId: "test", secretAccessKey: "test" };
const basicExecution = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const lambdaTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/** Roles these tests assume themselves must trust the account too: STS checks the trust policy. */
const lambdaAndAccountTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com", AWS: "arn:aws:iam::000000000000:root" },
      Action: "sts:AssumeRole",
    },
  ],
});

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let engine: Engine;
const clients = (credentials: Credentials = admin) => ({
  iam: new IAMClient({ endpoint: engine.endpoint, region, credentials }),
  sts: new STSClient({ endpoint: engine.endpoint, region, credentials }),
  logs: new CloudWatchLogsClient({ endpoint: engine.endpoint, region, credentials }),
  dynamodb: new DynamoDBClient({ endpoint: engine.endpoint, region, credentials }),
});

/** Runs the real AWS CLI v2 (not the v1 first on PATH) against the engine. */
async function aws(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("/usr/bin/aws", [...args, "--endpoint-url", engine.endpoint], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: region,
      AWS_PAGER: "",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
  });
  return stdout;
}

/** Creates a role that Lambda and the account may assume, runs `body`, then deletes the role and its policies. */
async function withRole(
  roleName: string,
  setup: { inline?: Record<string, unknown>; attached?: string[] },
  body: (roleArn: string) => Promise<void>,
): Promise<void> {
  const { iam } = clients();
  const { Role } = await iam.send(
    new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: lambdaAndAccountTrust }),
  );
  try {
    for (const [name, document] of Object.entries(setup.inline ?? {})) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: name,
          PolicyDocument: JSON.stringify(document),
        }),
      );
    }
    for (const arn of setup.attached ?? [])
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    await body(Role?.Arn as string);
  } finally {
    for (const name of Object.keys(setup.inline ?? {})) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    }
    for (const arn of setup.attached ?? [])
      await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  }
}

async function assume(roleArn: string, session: string): Promise<Credentials> {
  const { Credentials } = await clients().sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId as string,
    secretAccessKey: Credentials?.SecretAccessKey as string,
    sessionToken: Credentials?.SessionToken as string,
  };
}

beforeAll(async () => {
  engine = await startEngine({ port: 0 });
});

afterAll(async () => {
  await engine?.stop();
});

describe("IAM", () => {
  it("creates, reads, lists and deletes a role with inline and managed policies", async () => {
    // Prepare
    const { iam } = clients();
    const inline = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
    };
    // Act
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: "crud-role",
        AssumeRolePolicyDocument: lambdaTrust,
        Path: "/service-role/",
        Description: "d",
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "crud-role",
        PolicyName: "read",
        PolicyDocument: JSON.stringify(inline),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: "crud-role", PolicyArn: basicExecution }));
    const fetched = await iam.send(new GetRoleCommand({ RoleName: "crud-role" }));
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "crud-role", PolicyName: "read" }));
    const names = await iam.send(new ListRolePoliciesCommand({ RoleName: "crud-role" }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "crud-role" }));
    const listed = await iam.send(new ListRolesCommand({ PathPrefix: "/service-role/" }));
    const conflict = await iam
      .send(new DeleteRoleCommand({ RoleName: "crud-role" }))
      .catch((error: unknown) => error);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "crud-role", PolicyName: "read" }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: "crud-role", PolicyArn: basicExecution }));
    await iam.send(new DeleteRoleCommand({ RoleName: "crud-role" }));
    const gone = await iam
      .send(new GetRoleCommand({ RoleName: "crud-role" }))
      .catch((error: unknown) => error);
    // Assess
    expect(created.Role?.Arn).toBe("arn:aws:iam::000000000000:role/service-role/crud-role");
    expect(created.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(fetched.Role?.Description).toBe("d");
    expect(JSON.parse(decodeURIComponent(fetched.Role?.AssumeRolePolicyDocument ?? ""))).toEqual(
      JSON.parse(lambdaTrust),
    );
    expect(policy.PolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? ""))).toEqual(inline);
    expect(names.PolicyNames).toEqual(["read"]);
    expect(attached.AttachedPolicies).toEqual([
      { PolicyName: "AWSLambdaBasicExecutionRole", PolicyArn: basicExecution },
    ]);
    expect(listed.Roles?.map((role) => role.RoleName)).toEqual(["crud-role"]);
    expect(conflict).toMatchObject({ name: "DeleteConflictException", $metadata: { httpStatusCode: 409 } });
    expect(gone).toMatchObject({ name: "NoSuchEntityException", $metadata: { httpStatusCode: 404 } });
  });

  it("rejects duplicates and malformed policy documents", async () => {
    const { iam } = clients();
    await withRole("dup-role", {}, async () => {
      const duplicate = await iam
        .send(new CreateRoleCommand({ RoleName: "dup-role", AssumeRolePolicyDocument: lambdaTrust }))
        .catch((error: unknown) => error);
      const malformed = await iam
        .send(
          new PutRolePolicyCommand({
            RoleName: "dup-role",
            PolicyName: "p",
            PolicyDocument: '{"Statement": [',
          }),
        )
        .catch((error: unknown) => error);
      const noResource = await iam
        .send(
          new PutRolePolicyCommand({
            RoleName: "dup-role",
            PolicyName: "p",
            PolicyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*" }] }),
          }),
        )
        .catch((error: unknown) => error);
      expect(duplicate).toMatchObject({
        name: "EntityAlreadyExistsException",
        $metadata: { httpStatusCode: 409 },
      });
      expect(malformed).toMatchObject({ name: "MalformedPolicyDocumentException" });
      expect(noResource).toMatchObject({ name: "MalformedPolicyDocumentException" });
    });
  });

  it("serves the AWSLambdaBasicExecutionRole managed policy with its real document", async () => {
    const { iam } = clients();
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: basicExecution }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: basicExecution, VersionId: Policy?.DefaultVersionId }),
    );
    expect(Policy?.PolicyName).toBe("AWSLambdaBasicExecutionRole");
    expect(JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? ""))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "*",
        },
      ],
    });
    const unknown = await iam
      .send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/NoSuchPolicy" }))
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({ name: "NoSuchEntityException" });
  });
});

describe("STS", () => {
  it("identifies the administrator for unknown keys", async () => {
    const identity = await clients().sts.send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({
      Account: "000000000000",
      Arn: "arn:aws:iam::000000000000:root",
      UserId: "000000000000",
    });
  });

  it("answers a GET with the parameters in the query string", async () => {
    const response = await fetch(`${engine.endpoint}/?Action=GetCallerIdentity&Version=2011-06-15`, {
      headers: {
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<Arn>arn:aws:iam::000000000000:root</Arn>");
  });

  it("denies AssumeRole for a role that does not exist", async () => {
    const error = await clients()
      .sts.send(
        new AssumeRoleCommand({
          RoleArn: "arn:aws:iam::000000000000:role/missing",
          RoleSessionName: "s" + "1",
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
  });

  it("issues role credentials that DynamoDB authorizes against the role's policy", async () => {
    const admins = clients();
    const tableName = "iam-e2e-items";
    await admins.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    try {
      await waitUntilTableExists({ client: admins.dynamodb, maxWaitTime: 30 }, { TableName: tableName });
      const putOnly = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "dynamodb:PutItem",
            Resource: `arn:aws:dynamodb:${region}:000000000000:table/${tableName}`,
          },
        ],
      };
      await withRole("put-only-role", { inline: { putOnly } }, async (roleArn) => {
        // Prepare
        const credentials = await assume(roleArn, "worker-1");
        const asRole = clients(credentials);
        // Act
        const identity = await asRole.sts.send(new GetCallerIdentityCommand({}));
        await asRole.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: "a" } } }));
        const denied = await asRole.dynamodb
          .send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: "a" } } }))
          .catch((error: unknown) => error);
        const otherTable = await asRole.dynamodb
          .send(new PutItemCommand({ TableName: "another-table", Item: { pk: { S: "a" } } }))
          .catch((error: unknown) => error);
        const stored = await admins.dynamodb.send(
          new GetItemCommand({ TableName: tableName, Key: { pk: { S: "a" } } }),
        );
        // Assess
        expect(identity.Arn).toBe("arn:aws:sts::000000000000:assumed-role/put-only-role/worker-1");
        expect(identity.UserId).toMatch(/^AROA[A-Z2-7]{17}:worker-1$/);
        expect(stored.Item?.pk?.S).toBe("a");
        expect(denied).toMatchObject({ name: "AccessDeniedException" });
        expect(String((denied as Error).message)).toContain("dynamodb:GetItem");
        expect(otherTable).toMatchObject({ name: "AccessDeniedException" });
      });
    } finally {
      await admins.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    }
  });
});

describe("CloudWatch Logs", () => {
  it("creates, describes and deletes log groups with their errors", async () => {
    const { logs } = clients();
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/groups/a" }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/groups/b" }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/e2e/groups/a", retentionInDays: 7 }));
    const duplicate = await logs
      .send(new CreateLogGroupCommand({ logGroupName: "/e2e/groups/a" }))
      .catch((error: unknown) => error);
    const { logGroups } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: "/e2e/groups/" }),
    );
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/e2e/groups/a" }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/e2e/groups/b" }));
    const missing = await logs
      .send(new DeleteLogGroupCommand({ logGroupName: "/e2e/groups/a" }))
      .catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(ResourceAlreadyExistsException);
    expect(logGroups?.map((group) => [group.logGroupName, group.retentionInDays, group.arn])).toEqual([
      ["/e2e/groups/a", 7, "arn:aws:logs:us-east-1:000000000000:log-group:/e2e/groups/a:*"],
      ["/e2e/groups/b", undefined, "arn:aws:logs:us-east-1:000000000000:log-group:/e2e/groups/b:*"],
    ]);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it("stores events, pages GetLogEvents to a stop, and filters across streams", async () => {
    // Prepare
    const { logs } = clients();
    const group = "/e2e/events";
    const now = Date.now();
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    try {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "one" }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "two" }));
      const activity: unknown[] = [];
      const listener = (event: Record<string, unknown>) => activity.push(event);
      engine.context.events.on("activity", listener);
      // Act: out of order within a batch, which AWS accepts today
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: "one",
          logEvents: [
            { timestamp: now - 1000, message: JSON.stringify({ outcome: "stored", key: "a.jpg" }) },
            { timestamp: now - 3000, message: "START RequestId: r1" },
            { timestamp: now - 2000, message: JSON.stringify({ outcome: "duplicate", key: "a.jpg" }) },
          ],
        }),
      );
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: "two",
          logEvents: [
            { timestamp: now - 2500, message: JSON.stringify({ outcome: "duplicate", key: "b.jpg" }) },
          ],
        }),
      );
      engine.context.events.off("activity", listener);
      const pages: string[][] = [];
      for await (const page of paginateGetLogEvents(
        { client: logs, pageSize: 2, stopOnSameToken: true },
        { logGroupName: group, logStreamName: "one", startFromHead: true },
      )) {
        pages.push((page.events ?? []).map((event) => event.message ?? ""));
      }
      const latest = await logs.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: "one", limit: 1 }),
      );
      const filtered: Array<[string, string]> = [];
      for await (const page of paginateFilterLogEvents(
        { client: logs, pageSize: 1 },
        { logGroupName: group, filterPattern: '{ $.outcome = "duplicate" }', startTime: now - 60_000 },
      )) {
        for (const event of page.events ?? [])
          filtered.push([event.logStreamName ?? "", JSON.parse(event.message ?? "").key]);
      }
      const terms = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: group,
          filterPattern: "START r1",
          logStreamNames: ["one"],
        }),
      );
      const streams = await logs.send(
        new DescribeLogStreamsCommand({ logGroupName: group, orderBy: "LastEventTime", descending: true }),
      );
      // Assess
      expect(pages.flat()).toHaveLength(3);
      expect(pages[0]?.[0]).toBe("START RequestId: r1");
      expect(pages.at(-1)).toEqual([]);
      expect(latest.events?.map((event) => JSON.parse(event.message ?? "{}").outcome)).toEqual(["stored"]);
      expect(filtered).toEqual([
        ["two", "b.jpg"],
        ["one", "a.jpg"],
      ]);
      expect(terms.events?.map((event) => event.message)).toEqual(["START RequestId: r1"]);
      expect(streams.logStreams?.map((stream) => [stream.logStreamName, stream.lastEventTimestamp])).toEqual([
        ["one", now - 1000],
        ["two", now - 2500],
      ]);
      expect(activity).toHaveLength(2);
      expect(activity[0]).toMatchObject({ kind: "log", group, stream: "one" });
    } finally {
      await logs.send(new DeleteLogGroupCommand({ logGroupName: group }));
    }
  });

  it("enforces the role's policy on Logs actions", async () => {
    const { logs } = clients();
    await withRole("logs-role", { attached: [basicExecution] }, async (roleArn) => {
      const asRole = clients(await assume(roleArn, "fn")).logs;
      await asRole.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/e2e-fn" }));
      try {
        await asRole.send(
          new CreateLogStreamCommand({ logGroupName: "/aws/lambda/e2e-fn", logStreamName: "s" }),
        );
        await asRole.send(
          new PutLogEventsCommand({
            logGroupName: "/aws/lambda/e2e-fn",
            logStreamName: "s",
            logEvents: [{ timestamp: Date.now(), message: "hello" }],
          }),
        );
        const denied = await asRole.send(new DescribeLogGroupsCommand({})).catch((error: unknown) => error);
        expect(denied).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
        expect(String((denied as Error).message)).toContain("logs:DescribeLogGroups");
      } finally {
        await logs.send(new DeleteLogGroupCommand({ logGroupName: "/aws/lambda/e2e-fn" }));
      }
    });
  });

  it("lets internal.logs write only to existing groups", () => {
    const internal = engine.apis.logs;
    expect(internal?.putLogEvents("/e2e/internal", "s", [{ timestamp: Date.now(), message: "x" }])).toBe(
      false,
    );
    internal?.ensureLogGroup("/e2e/internal");
    expect(internal?.hasLogGroup("/e2e/internal")).toBe(true);
    expect(internal?.putLogEvents("/e2e/internal", "s", [{ timestamp: Date.now(), message: "x" }])).toBe(
      true,
    );
  });
});

describe("AWS CLI v2", () => {
  it("runs sts, iam and logs commands, including logs tail", async () => {
    const identity = JSON.parse(await aws("sts", "get-caller-identity"));
    expect(identity.Arn).toBe("arn:aws:iam::000000000000:root");

    await aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", lambdaTrust);
    try {
      const document = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }],
      };
      await aws(
        "iam",
        "put-role-policy",
        "--role-name",
        "cli-role",
        "--policy-name",
        "logs",
        "--policy-document",
        JSON.stringify(document),
      );
      const policy = JSON.parse(
        await aws("iam", "get-role-policy", "--role-name", "cli-role", "--policy-name", "logs"),
      );
      // The CLI decodes the URL-encoded document, as it does against AWS.
      expect(policy.PolicyDocument).toEqual(document);
      await aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "logs");
    } finally {
      await aws("iam", "delete-role", "--role-name", "cli-role");
    }

    await aws("logs", "create-log-group", "--log-group-name", "/e2e/cli");
    try {
      const groups = JSON.parse(
        await aws("logs", "describe-log-groups", "--log-group-name-prefix", "/e2e/cli"),
      );
      expect(groups.logGroups.map((group: { logGroupName: string }) => group.logGroupName)).toEqual([
        "/e2e/cli",
      ]);
      engine.apis.logs?.putLogEvents("/e2e/cli", "2026/11/25/[$LATEST]abc", [
        { timestamp: Date.now() - 2000, message: "START RequestId: cli-1" },
        { timestamp: Date.now() - 1000, message: JSON.stringify({ outcome: "duplicate" }) },
      ]);
      const tail = await aws("logs", "tail", "/e2e/cli", "--since", "10m");
      expect(tail).toContain("START RequestId: cli-1");
      expect(tail).toContain('{"outcome":"duplicate"}');
      const filtered = await aws(
        "logs",
        "tail",
        "/e2e/cli",
        "--since",
        "10m",
        "--filter-pattern",
        '{ $.outcome = "duplicate" }',
      );
      expect(filtered).not.toContain("START");
      expect(filtered).toContain("duplicate");
    } finally {
      await aws("logs", "delete-log-group", "--log-group-name", "/e2e/cli");
    }
  });
});

describe("Persistence", () => {
  it("reloads roles and log events from the data directory", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "iam-logs-e2e-"));
    try {
      const first = await startEngine({ port: 0, dataDir });
      try {
        const iam = new IAMClient({ endpoint: first.endpoint, region, credentials: admin });
        await iam.send(new CreateRoleCommand({ RoleName: "kept", AssumeRolePolicyDocument: lambdaTrust }));
        await iam.send(new AttachRolePolicyCommand({ RoleName: "kept", PolicyArn: basicExecution }));
        first.apis.logs?.ensureLogGroup("/kept");
        first.apis.logs?.putLogEvents("/kept", "s", [{ timestamp: Date.now(), message: "survives" }]);
      } finally {
        await first.stop();
      }
      const second = await startEngine({ port: 0, dataDir });
      try {
        const iam = new IAMClient({ endpoint: second.endpoint, region, credentials: admin });
        const logs = new CloudWatchLogsClient({ endpoint: second.endpoint, region, credentials: admin });
        const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "kept" }));
        const events = await logs.send(
          new GetLogEventsCommand({ logGroupName: "/kept", logStreamName: "s" }),
        );
        expect(attached.AttachedPolicies?.map((policy) => policy.PolicyArn)).toEqual([basicExecution]);
        expect(events.events?.map((event) => event.message)).toEqual(["survives"]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
