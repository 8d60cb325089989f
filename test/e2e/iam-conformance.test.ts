import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListPolicyTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagPolicyCommand,
  TagRoleCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";

/**
 * IAM and STS members that were accepted and dropped: each is now handled as AWS documents it (permissions
 * boundaries, policy tags, tag rules, RoleLastUsed) or refused by name (an STS session policy).
 */
const region = "us-east-1";
const admin = { accessKeyId: "test", secretAccessKey: "test" };
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" },
  ],
});
const allowAll = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
});
const listOnly = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const caught = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: caught.name, message: caught.message, status: caught.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

describe("IAM and STS: what they take is handled or refused", () => {
  let engine: Engine;
  let iam: IAMClient;
  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    iam = new IAMClient({ endpoint: engine.endpoint, region, credentials: admin });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("keeps a role's permissions boundary, shows it, and lets it cap what the role's policies allow", async () => {
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: "list-only", PolicyDocument: listOnly }),
    );
    const boundary = Policy?.Arn as string;
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: "bounded",
        AssumeRolePolicyDocument: trust,
        PermissionsBoundary: boundary,
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "bounded", PolicyName: "all", PolicyDocument: allowAll }),
    );
    const shown = await iam.send(new GetRoleCommand({ RoleName: "bounded" }));
    expect(shown.Role?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: "Policy",
      PermissionsBoundaryArn: boundary,
    });
    expect(shown.Role?.RoleLastUsed).toEqual({});
    expect(
      (await iam.send(new GetPolicyCommand({ PolicyArn: boundary }))).Policy?.PermissionsBoundaryUsageCount,
    ).toBe(1);

    const sts = new STSClient({ endpoint: engine.endpoint, region, credentials: admin });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: Role?.Arn, RoleSessionName: "bounded" }),
    );
    const s3 = new S3Client({
      endpoint: engine.endpoint,
      region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: Credentials?.AccessKeyId as string,
        secretAccessKey: Credentials?.SecretAccessKey as string,
        sessionToken: Credentials?.SessionToken as string,
      },
    });
    await s3.send(new ListBucketsCommand({}));
    expect(await failure(s3.send(new CreateBucketCommand({ Bucket: "beyond-the-boundary" })))).toMatchObject({
      name: "AccessDenied",
    });
    const used = await iam.send(new GetRoleCommand({ RoleName: "bounded" }));
    expect(used.Role?.RoleLastUsed?.LastUsedDate).toBeInstanceOf(Date);
    expect(used.Role?.RoleLastUsed?.Region).toBe(region);

    expect(await failure(iam.send(new DeletePolicyCommand({ PolicyArn: boundary })))).toMatchObject({
      name: "DeleteConflictException",
    });
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "bounded" }));
    await s3.send(new CreateBucketCommand({ Bucket: "beyond-the-boundary" }));
    await iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: "bounded", PermissionsBoundary: boundary }),
    );
    expect(
      (await iam.send(new GetRoleCommand({ RoleName: "bounded" }))).Role?.PermissionsBoundary
        ?.PermissionsBoundaryArn,
    ).toBe(boundary);
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "bounded" }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "bounded", PolicyName: "all" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "bounded" }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: boundary }));
  });

  it("keeps a policy's tags; GetPolicy answers Tags even when empty, CreatePolicy no Description", async () => {
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "tagged",
        PolicyDocument: listOnly,
        Description: "described",
        Tags: [{ Key: "team", Value: "images" }],
      }),
    );
    expect(created.Policy?.Description).toBeUndefined();
    expect(created.Policy?.Tags).toEqual([{ Key: "team", Value: "images" }]);
    const arn = created.Policy?.Arn as string;
    await iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: [{ Key: "TEAM", Value: "pipeline" }] }));
    expect((await iam.send(new ListPolicyTagsCommand({ PolicyArn: arn }))).Tags).toEqual([
      { Key: "TEAM", Value: "pipeline" },
    ]);
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy?.Description).toBe("described");
    const { Policy: plain } = await iam.send(
      new CreatePolicyCommand({ PolicyName: "plain", PolicyDocument: listOnly }),
    );
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: plain?.Arn }))).Policy?.Tags).toEqual([]);
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: plain?.Arn }));
  });

  it("checks tags as IAM does: 50 at most, lengths, keys unique case-insensitively", async () => {
    const tags = (count: number) => Array.from({ length: count }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(
      await failure(
        iam.send(new CreateRoleCommand({ RoleName: "t51", AssumeRolePolicyDocument: trust, Tags: tags(51) })),
      ),
    ).toMatchObject({ name: "ValidationError", status: 400, message: expect.stringContaining("'tags'") });
    expect(
      await failure(
        iam.send(
          new CreateRoleCommand({
            RoleName: "dup",
            AssumeRolePolicyDocument: trust,
            Tags: [
              { Key: "a", Value: "1" },
              { Key: "A", Value: "2" },
            ],
          }),
        ),
      ),
    ).toMatchObject({
      name: "InvalidInputException",
      message: "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    });
    expect(
      await failure(
        iam.send(
          new CreateRoleCommand({
            RoleName: "long",
            AssumeRolePolicyDocument: trust,
            Tags: [{ Key: "k".repeat(129), Value: "" }],
          }),
        ),
      ),
    ).toMatchObject({ name: "ValidationError" });
    await iam.send(
      new CreateRoleCommand({ RoleName: "t50", AssumeRolePolicyDocument: trust, Tags: tags(50) }),
    );
    expect(
      await failure(
        iam.send(new TagRoleCommand({ RoleName: "t50", Tags: [{ Key: "one-more", Value: "" }] })),
      ),
    ).toMatchObject({
      name: "LimitExceededException",
      status: 409,
      message: "Cannot exceed quota for TagsPerRole: 50",
    });
    await iam.send(new TagRoleCommand({ RoleName: "t50", Tags: [{ Key: "K0", Value: "replaced" }] }));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: "t50" }));
    expect(Role?.Tags).toHaveLength(50);
    expect(Role?.Tags?.find((tag) => tag.Key === "K0")?.Value).toBe("replaced");
    await iam.send(new DeleteRoleCommand({ RoleName: "t50" }));
  });

  it("refuses, by name, a member it does not handle instead of dropping it (an STS session policy)", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "session", AssumeRolePolicyDocument: trust }));
    const sts = new STSClient({ endpoint: engine.endpoint, region, credentials: admin });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: "session" }));
    expect(
      await failure(
        sts.send(new AssumeRoleCommand({ RoleArn: Role?.Arn, RoleSessionName: "scoped", Policy: listOnly })),
      ),
    ).toMatchObject({
      name: "InvalidParameterValue",
      status: 400,
      message: expect.stringMatching(/^Policy: not supported/),
    });
    await iam.send(new DeleteRoleCommand({ RoleName: "session" }));
  });

  it("refuses the policy documents IAM refuses when one is written, with IAM's message (SDK and AWS CLI)", async () => {
    const noVersion = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    expect(
      await failure(
        iam.send(new CreatePolicyCommand({ PolicyName: "unversioned", PolicyDocument: noVersion })),
      ),
    ).toMatchObject({
      name: "MalformedPolicyDocumentException",
      status: 400,
      message: "Policy document must be version 2012-10-17 or greater.",
    });
    const emptyActions = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: [], Resource: "*" }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: "grammar", AssumeRolePolicyDocument: trust }));
    expect(
      await failure(
        iam.send(
          new PutRolePolicyCommand({ RoleName: "grammar", PolicyName: "p", PolicyDocument: emptyActions }),
        ),
      ),
    ).toMatchObject({
      name: "MalformedPolicyDocumentException",
      message: "Policy statement must contain actions.",
    });
    const aws = await findAwsCliV2();
    const emptyStatement = JSON.stringify({ Version: "2012-10-17", Statement: [] });
    const cli = await promisify(execFile)(
      aws ?? "aws",
      [
        "--endpoint-url",
        engine.endpoint,
        "iam",
        "create-policy",
        "--policy-name",
        "empty",
        "--policy-document",
        emptyStatement,
      ],
      { env: awsCliEnvironment(engine.endpoint) },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(cli).toMatchObject({
      code: 254,
      stderr: expect.stringContaining(
        "(MalformedPolicyDocument) when calling the CreatePolicy operation: Syntax errors in policy.",
      ),
    });
    await iam.send(new DeleteRoleCommand({ RoleName: "grammar" }));
  });

  it("answers STS actions it does not serve in STS's own error, signed or not (AWS CLI; the AssumeRoleWith* calls go unsigned)", async () => {
    const aws = await findAwsCliV2();
    const run = (args: string[]) =>
      promisify(execFile)(aws ?? "aws", ["--endpoint-url", engine.endpoint, "sts", ...args], {
        env: awsCliEnvironment(engine.endpoint),
      }).catch((error: { code: number; stderr: string }) => error);
    const arn = "arn:aws:iam::000000000000:role/web";
    for (const [operation, args] of [
      [
        "AssumeRoleWithWebIdentity",
        [
          "assume-role-with-web-identity",
          "--role-arn",
          arn,
          "--role-session-name",
          "web",
          "--web-identity-token",
          "token",
        ],
      ],
      [
        "AssumeRoleWithSAML",
        [
          "assume-role-with-saml",
          "--role-arn",
          arn,
          "--principal-arn",
          "arn:aws:iam::000000000000:saml-provider/idp",
          "--saml-assertion",
          "a".repeat(8),
        ],
      ],
      ["GetSessionToken", ["get-session-token"]],
    ] as const) {
      expect(await run([...args])).toMatchObject({
        code: 254,
        stderr: expect.stringContaining(
          `(InvalidAction) when calling the ${operation} operation: Could not find operation ${operation}`,
        ),
      });
    }
  });
});
