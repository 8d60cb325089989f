import { existsSync } from "node:fs";
import {
  CreateBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketTaggingCommand,
  GetObjectAclCommand,
  ListBucketsCommand,
  PutBucketAclCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { awsCli, failure, s3Client } from "../helpers/s3.ts";

const AWS_CLI = "/usr/bin/aws";
const OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/** Issue 27 (S3): Object Ownership and ACLs, lifecycle validation and bucket-policy grammar, as AWS answers them. */
describe("S3 ownership, ACLs, lifecycle and policy validation", () => {
  let engine: Engine;
  let s3: S3Client;

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    s3 = s3Client(engine.endpoint);
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
  });

  it("creates buckets BucketOwnerEnforced by default, refuses ACLs there and answers the owner's FULL_CONTROL", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "enforced" }));
    await s3.send(new PutObjectCommand({ Bucket: "enforced", Key: "k", Body: "x" }));

    const controls = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "enforced" }));
    const bucketAcl = await s3.send(new GetBucketAclCommand({ Bucket: "enforced" }));
    const objectAcl = await s3.send(new GetObjectAclCommand({ Bucket: "enforced", Key: "k" }));
    const putBucketAcl = await failure(
      s3.send(new PutBucketAclCommand({ Bucket: "enforced", ACL: "public-read" })),
    );
    const putObjectAcl = await failure(
      s3.send(new PutObjectAclCommand({ Bucket: "enforced", Key: "k", ACL: "public-read" })),
    );
    const publicWrite = await failure(
      s3.send(new PutObjectCommand({ Bucket: "enforced", Key: "p", Body: "x", ACL: "public-read" })),
    );
    const grantWrite = await failure(
      s3.send(
        new PutObjectCommand({ Bucket: "enforced", Key: "g", Body: "x", GrantRead: `uri="${ALL_USERS}"` }),
      ),
    );
    const ownerFullControl = await s3.send(
      new PutObjectCommand({ Bucket: "enforced", Key: "o", Body: "x", ACL: "bucket-owner-full-control" }),
    );
    const publicBucket = await failure(
      s3.send(new CreateBucketCommand({ Bucket: "enforced-public", ACL: "public-read" })),
    );
    const privateBucket = await s3.send(
      new CreateBucketCommand({ Bucket: "enforced-private", ACL: "private" }),
    );

    expect(controls.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
    for (const acl of [bucketAcl, objectAcl]) {
      expect(acl.Owner?.ID).toBe(OWNER_ID);
      expect(acl.Grants).toEqual([
        {
          Grantee: expect.objectContaining({ ID: OWNER_ID, Type: "CanonicalUser" }),
          Permission: "FULL_CONTROL",
        },
      ]);
    }
    for (const refused of [putBucketAcl, putObjectAcl, publicWrite, grantWrite]) {
      expect(refused).toMatchObject({ name: "AccessControlListNotSupported", status: 400 });
      expect(refused.error.message).toBe("The bucket does not allow ACLs");
    }
    expect(ownerFullControl.ETag).toBeTruthy();
    expect(publicBucket).toMatchObject({ name: "InvalidBucketAclWithObjectOwnership", status: 400 });
    expect(privateBucket.$metadata.httpStatusCode).toBe(200);
  });

  it("honours x-amz-object-ownership on CreateBucket: canned ACLs are stored and answered, grants refused by name", async () => {
    await s3.send(
      new CreateBucketCommand({ Bucket: "writer", ObjectOwnership: "ObjectWriter", ACL: "public-read" }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "writer", Key: "k", Body: "x", ACL: "authenticated-read" }));

    const controls = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "writer" }));
    const bucketAcl = await s3.send(new GetBucketAclCommand({ Bucket: "writer" }));
    const objectAcl = await s3.send(new GetObjectAclCommand({ Bucket: "writer", Key: "k" }));
    await s3.send(new PutObjectAclCommand({ Bucket: "writer", Key: "k", ACL: "private" }));
    const reset = await s3.send(new GetObjectAclCommand({ Bucket: "writer", Key: "k" }));
    const grant = await failure(
      s3.send(new PutObjectAclCommand({ Bucket: "writer", Key: "k", GrantRead: `uri="${ALL_USERS}"` })),
    );
    const enforce = await failure(
      s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: "writer",
          OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        }),
      ),
    );
    const invalid = await failure(
      s3.send(
        new CreateBucketCommand({ Bucket: "bad-ownership", ObjectOwnership: "Nobody" as "ObjectWriter" }),
      ),
    );

    expect(controls.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "ObjectWriter" }]);
    expect(
      bucketAcl.Grants?.map((grant) => [grant.Grantee?.URI ?? grant.Grantee?.ID, grant.Permission]),
    ).toEqual([
      [OWNER_ID, "FULL_CONTROL"],
      [ALL_USERS, "READ"],
    ]);
    expect(objectAcl.Grants?.[1]).toMatchObject({
      Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" },
      Permission: "READ",
    });
    expect(reset.Grants).toHaveLength(1);
    expect(grant).toMatchObject({ name: "NotImplemented", status: 501 });
    expect(grant.error.message).toContain("x-amz-grant-read");
    expect(enforce).toMatchObject({ name: "InvalidBucketAclWithObjectOwnership", status: 400 });
    expect(invalid).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(invalid.error.message).toBe("Invalid x-amz-object-ownership header: Nobody");
  });

  it("keeps ownership and ACLs across a restart of a persisted engine", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dataDir = await mkdtemp(join(tmpdir(), "s3-ownership-"));
    try {
      let persisted = await startEngine({ port: 0, dataDir });
      let client = s3Client(persisted.endpoint);
      await client.send(new CreateBucketCommand({ Bucket: "kept", ObjectOwnership: "BucketOwnerPreferred" }));
      await client.send(new PutBucketAclCommand({ Bucket: "kept", ACL: "public-read" }));
      await client.send(new PutObjectCommand({ Bucket: "kept", Key: "k", Body: "x" }));
      await client.send(new PutObjectAclCommand({ Bucket: "kept", Key: "k", ACL: "public-read-write" }));
      client.destroy();
      await persisted.stop();
      persisted = await startEngine({ port: 0, dataDir });
      client = s3Client(persisted.endpoint);
      const controls = await client.send(new GetBucketOwnershipControlsCommand({ Bucket: "kept" }));
      const bucketAcl = await client.send(new GetBucketAclCommand({ Bucket: "kept" }));
      const objectAcl = await client.send(new GetObjectAclCommand({ Bucket: "kept", Key: "k" }));
      client.destroy();
      await persisted.stop();
      expect(controls.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: "BucketOwnerPreferred" }]);
      expect(bucketAcl.Grants).toHaveLength(2);
      expect(objectAcl.Grants?.map((grant) => grant.Permission)).toEqual(["FULL_CONTROL", "READ", "WRITE"]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("without ownership controls a bucket takes ACLs again, as before controls existed", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "uncontrolled" }));
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: "uncontrolled" }));
    const missing = await failure(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "uncontrolled" })));
    await s3.send(new PutBucketAclCommand({ Bucket: "uncontrolled", ACL: "public-read" }));
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: "uncontrolled" }));
    expect(missing).toMatchObject({ name: "OwnershipControlsNotFoundError", status: 404 });
    expect(acl.Grants).toHaveLength(2);
  });

  it("validates lifecycle rules as AWS does: IDs assigned, duplicates, Days 0 and bad dates refused", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "lifecycle" }));
    const rule = { Status: "Enabled" as const, Filter: { Prefix: "logs/" } };
    const put = (Rules: object[]) =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: "lifecycle",
          LifecycleConfiguration: { Rules } as never,
        }),
      );

    const duplicate = await failure(
      put([
        { ...rule, ID: "same", Expiration: { Days: 1 } },
        { ...rule, ID: "same", Expiration: { Days: 2 } },
      ]),
    );
    const zeroDays = await failure(put([{ ...rule, ID: "zero", Expiration: { Days: 0 } }]));
    const noon = await failure(
      put([{ ...rule, ID: "noon", Expiration: { Date: new Date("2030-01-01T12:00:00Z") } }]),
    );
    await put([{ ...rule, Expiration: { Days: 30 } }]);
    const stored = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lifecycle" }));

    expect(duplicate).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(duplicate.error.message).toBe("RuleId must be unique. Found same ID for more than one rule.");
    expect(zeroDays.error.message).toBe("'Days' for Expiration action must be a positive integer");
    expect(noon).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(noon.error.message).toBe("'Date' must be at midnight GMT");
    expect(stored.Rules?.[0]?.ID).toMatch(/\S/);
    expect(stored.Rules?.[0]).toMatchObject({ Expiration: { Days: 30 }, Filter: { Prefix: "logs/" } });
  });

  it("refuses a bucket policy that allows with NotPrincipal (MalformedPolicy)", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "not-principal" }));
    const statement = {
      NotPrincipal: { AWS: "arn:aws:iam::000000000000:root" },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::not-principal/*",
    };
    const policy = (Effect: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ ...statement, Effect }] });

    const allow = await failure(
      s3.send(new PutBucketPolicyCommand({ Bucket: "not-principal", Policy: policy("Allow") })),
    );
    const deny = await s3.send(
      new PutBucketPolicyCommand({ Bucket: "not-principal", Policy: policy("Deny") }),
    );

    expect(allow).toMatchObject({ name: "MalformedPolicy", status: 400 });
    expect(allow.error.message).toBe("Invalid principal in policy");
    expect(deny.$metadata.httpStatusCode).toBe(204);
  });

  it.skipIf(!existsSync(AWS_CLI))("the AWS CLI v2 sees the same ownership and ACL answers", async () => {
    await awsCli(AWS_CLI, engine.endpoint, "s3api", "create-bucket", "--bucket", "cli-owned");
    const acl = JSON.parse(
      await awsCli(AWS_CLI, engine.endpoint, "s3api", "get-bucket-acl", "--bucket", "cli-owned"),
    );
    const refused = await awsCli(
      AWS_CLI,
      engine.endpoint,
      "s3api",
      "put-bucket-acl",
      "--bucket",
      "cli-owned",
      "--acl",
      "public-read",
    ).then(
      () => "accepted",
      (error: { stderr?: string }) => error.stderr ?? "",
    );
    await awsCli(
      AWS_CLI,
      engine.endpoint,
      "s3api",
      "create-bucket",
      "--bucket",
      "cli-writer",
      "--object-ownership",
      "ObjectWriter",
    );
    await awsCli(
      AWS_CLI,
      engine.endpoint,
      "s3api",
      "put-bucket-acl",
      "--bucket",
      "cli-writer",
      "--acl",
      "public-read",
    );
    const writer = JSON.parse(
      await awsCli(AWS_CLI, engine.endpoint, "s3api", "get-bucket-acl", "--bucket", "cli-writer"),
    );

    expect(acl.Grants).toEqual([
      {
        Grantee: { DisplayName: "webfile", ID: OWNER_ID, Type: "CanonicalUser" },
        Permission: "FULL_CONTROL",
      },
    ]);
    expect(refused).toContain("AccessControlListNotSupported");
    expect(writer.Grants[1]).toEqual({ Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "READ" });
  });

  it("refuses SDK members it does not serve by name (501), and checks the expected owner and a body's Content-MD5", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "members" }));
    await s3.send(new PutObjectCommand({ Bucket: "members", Key: "k", Body: "x" }));

    const mfa = await failure(
      s3.send(new DeleteObjectCommand({ Bucket: "members", Key: "k", MFA: "serial 123456" })),
    );
    const transition = await failure(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: "members",
          TransitionDefaultMinimumObjectSize: "all_storage_classes_128K",
          LifecycleConfiguration: {
            Rules: [{ ID: "a", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }],
          },
        }),
      ),
    );
    const otherOwner = await failure(
      s3.send(new GetBucketTaggingCommand({ Bucket: "members", ExpectedBucketOwner: "111122223333" })),
    );
    const badDigest = await fetch(`${engine.endpoint}/members?tagging`, {
      method: "PUT",
      headers: { "content-md5": Buffer.alloc(16).toString("base64") },
      body: "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>",
    });
    const inRegion = await s3.send(new ListBucketsCommand({ BucketRegion: "eu-west-1" }));

    expect(mfa).toMatchObject({ name: "NotImplemented", status: 501 });
    expect(mfa.error.message).toContain("x-amz-mfa (MFA)");
    expect(transition).toMatchObject({ name: "NotImplemented", status: 501 });
    expect(transition.error.message).toContain("x-amz-transition-default-minimum-object-size");
    expect(otherOwner).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(badDigest.status).toBe(400);
    expect(await badDigest.text()).toContain("<Code>BadDigest</Code>");
    expect(inRegion.Buckets ?? []).toEqual([]);
  });
});
