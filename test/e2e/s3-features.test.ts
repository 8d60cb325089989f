import { createHmac } from "node:crypto";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import type { S3Service } from "../../src/engine/s3/index.ts";
import type { ObjectCreatedEvent } from "../../src/engine/types.ts";
import { createLambdaRole } from "../helpers/lambda-role.ts";
import { bytesOf, failure, s3Client } from "../helpers/s3.ts";

/** The features pipelines use beyond plain objects (issue 16), with the SDK v3 and plain HTTP where browsers speak. */
describe("S3 features: tagging, policies, CORS, ownership, attributes, lifecycle, POST uploads", () => {
  let engine: Engine;
  let s3: S3Client;
  const bucket = "features";
  const events: ObjectCreatedEvent[] = [];

  beforeAll(async () => {
    // The edge refuses browser origins it does not know (corsOrigins); S3's own CORS rules then decide.
    engine = await startEngine({ port: 0, corsOrigins: ["https://app.example.com"] });
    engine.context.events.on("objectCreated", (event) => events.push(event));
    s3 = s3Client(engine.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
  });

  it("tags objects on PUT and later, copies tags, and tags buckets", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "x", Tagging: "team=img&stage=raw" }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "tagged" }));
    const onPut = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }));
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: "tagged",
        Tagging: { TagSet: [{ Key: "stage", Value: "done" }] },
      }),
    );
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: "tagged-copy", CopySource: `${bucket}/tagged` }),
    );
    const copied = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged-copy" }));
    const missing = await failure(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })));
    await s3.send(
      new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "cost", Value: "1" }] } }),
    );
    const bucketTags = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));

    expect(head.TagCount).toBe(2);
    expect(onPut.TagSet).toEqual([
      { Key: "team", Value: "img" },
      { Key: "stage", Value: "raw" },
    ]);
    expect(copied.TagSet).toEqual([{ Key: "stage", Value: "done" }]);
    expect(missing).toMatchObject({ name: "NoSuchTagSet", status: 404 });
    expect(bucketTags.TagSet).toEqual([{ Key: "cost", Value: "1" }]);
  });

  it("evaluates a bucket policy: `deny PutObject without SSE` refuses plain PUTs, even the account's own", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "policed" }));
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyUnencryptedPuts",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::policed/*",
          Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } },
        },
      ],
    };
    await s3.send(new PutBucketPolicyCommand({ Bucket: "policed", Policy: JSON.stringify(policy) }));

    const plain = await failure(
      s3.send(new PutObjectCommand({ Bucket: "policed", Key: "plain", Body: "x" })),
    );
    const encrypted = await s3.send(
      new PutObjectCommand({
        Bucket: "policed",
        Key: "encrypted",
        Body: "x",
        ServerSideEncryption: "AES256",
      }),
    );
    const stored = await s3.send(new GetBucketPolicyCommand({ Bucket: "policed" }));
    const malformed = await failure(
      s3.send(new PutBucketPolicyCommand({ Bucket: "policed", Policy: "{not json" })),
    );
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: "policed" }));
    const afterDelete = await s3.send(new PutObjectCommand({ Bucket: "policed", Key: "plain", Body: "x" }));

    expect(plain).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(encrypted.ServerSideEncryption).toBe("AES256");
    expect(JSON.parse(stored.Policy ?? "{}")).toEqual(policy);
    expect(malformed).toMatchObject({ name: "MalformedPolicy", status: 400 });
    expect(afterDelete.ETag).toBeTruthy();
  });

  it("combines a role's identity policy with the bucket policy: a bucket Allow suffices, a bucket Deny wins", async () => {
    const roleArn = await createLambdaRole(engine.endpoint, "bucket-policy-reader", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/*" }],
    });
    await s3.send(new CreateBucketCommand({ Bucket: "shared" }));
    for (const key of ["public/a", "secret/b"])
      await s3.send(new PutObjectCommand({ Bucket: "shared", Key: key, Body: key }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "shared",
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: roleArn },
              Action: "s3:PutObject",
              Resource: "arn:aws:s3:::shared/inbox/*",
            },
            {
              Effect: "Deny",
              Principal: { AWS: roleArn },
              Action: "s3:GetObject",
              Resource: "arn:aws:s3:::shared/secret/*",
            },
          ],
        }),
      }),
    );
    const issued = engine.context.credentials.issueForRole(roleArn, "reader");
    const asRole = s3Client(engine.endpoint, { credentials: issued, maxAttempts: 1 });

    const identityAllowed = await asRole.send(new GetObjectCommand({ Bucket: "shared", Key: "public/a" }));
    const bucketDenied = await failure(
      asRole.send(new GetObjectCommand({ Bucket: "shared", Key: "secret/b" })),
    );
    const bucketAllowed = await asRole.send(
      new PutObjectCommand({ Bucket: "shared", Key: "inbox/c", Body: "c" }),
    );
    const neither = await failure(
      asRole.send(new PutObjectCommand({ Bucket: "shared", Key: "elsewhere/d", Body: "d" })),
    );
    asRole.destroy();

    expect((await bytesOf(identityAllowed.Body)).toString()).toBe("public/a");
    expect(bucketDenied).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(bucketDenied.error.message).toContain("explicit deny");
    expect(bucketAllowed.ETag).toBeTruthy();
    expect(neither).toMatchObject({ name: "AccessDenied", status: 403 });
  });

  it("authorizes a browser-form POST as its signer's PutObject: a role's session, by its policies and the bucket's", async () => {
    // The role may put under `drop/` by its identity policy, nowhere else; the bucket's policy denies `drop/locked/`.
    const roleArn = await createLambdaRole(engine.endpoint, "form-uploader", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::forms-by-role/drop/*" }],
    });
    await s3.send(new CreateBucketCommand({ Bucket: "forms-by-role" }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "forms-by-role",
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Deny",
              Principal: { AWS: roleArn },
              Action: "s3:PutObject",
              Resource: "arn:aws:s3:::forms-by-role/drop/locked/*",
            },
          ],
        }),
      }),
    );
    const session = engine.context.credentials.issueForRole(roleArn, "uploader", 900);
    // A form as a page builds it from a presigned POST: the policy names every field it sends.
    const post = (key: string, token: string | null = session.sessionToken) => {
      const fields: Record<string, string> = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": `${session.accessKeyId}/20261207/us-east-1/s3/aws4_request`,
        "X-Amz-Date": "20261207T000000Z",
        ...(token === null ? {} : { "X-Amz-Security-Token": token }),
      };
      const conditions = [
        { bucket: "forms-by-role" },
        ["starts-with", "$key", ""],
        ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
      ];
      const form = new FormData();
      form.set("key", key);
      for (const [name, value] of Object.entries(fields)) form.set(name, value);
      form.set(
        "Policy",
        Buffer.from(JSON.stringify({ expiration: "2100-01-01T00:00:00Z", conditions })).toString("base64"),
      );
      form.set("X-Amz-Signature", "0".repeat(64));
      form.set("file", new Blob([Buffer.from("by form")]), "f.txt");
      return fetch(`${engine.endpoint}/forms-by-role`, { method: "POST", body: form });
    };

    const allowed = await post("drop/a.txt");
    const outside = await post("elsewhere/b.txt");
    const denied = await post("drop/locked/c.txt");
    const withoutToken = await post("drop/d.txt", null);

    expect([allowed.status, await allowed.text()]).toEqual([204, ""]);
    expect(outside.status).toBe(403);
    expect(await outside.text()).toContain(
      "User: arn:aws:sts::000000000000:assumed-role/form-uploader/uploader is not authorized to perform: s3:PutObject on resource: &quot;arn:aws:s3:::forms-by-role/elsewhere/b.txt&quot; because no identity-based policy allows",
    );
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("explicit deny in a resource-based policy");
    expect(withoutToken.status).toBe(400);
    expect(await withoutToken.text()).toContain("<Code>InvalidToken</Code>");
  });

  it("refuses a public bucket policy under BlockPublicPolicy", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "private-only" }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: "private-only",
        PublicAccessBlockConfiguration: { BlockPublicPolicy: true },
      }),
    );
    const publicRead = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::private-only/*" },
      ],
    };

    const refused = await failure(
      s3.send(new PutBucketPolicyCommand({ Bucket: "private-only", Policy: JSON.stringify(publicRead) })),
    );

    expect(refused).toMatchObject({ name: "AccessDenied", status: 403 });
  });

  it("answers CORS preflights from the bucket's rules, so a browser can PUT through a presigned URL", async () => {
    const origin = "https://app.example.com";
    // S3's own answer, asked in-process: the edge answers preflights for its allow-listed origins itself
    // (its own CORS layer), so over HTTP this would test the edge rather than the bucket's rules.
    const preflight = async (method: string, requestOrigin = origin) => {
      const response = await (engine.edge.service("s3") as S3Service).handle({
        method: "OPTIONS",
        rawPath: `/${bucket}/upload.jpg`,
        query: new URLSearchParams(),
        headers: {
          origin: requestOrigin,
          "access-control-request-method": method,
          "access-control-request-headers": "content-type",
        },
        host: new URL(engine.endpoint).host,
        body: Buffer.alloc(0),
        caller: engine.context.credentials.administrator(),
        region: "us-east-1",
        requestId: "preflight",
      });
      const headers = new Headers(response.headers as Record<string, string>);
      return { status: response.status, headers };
    };
    const before = await preflight("PUT");
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ["https://*.example.com"],
              AllowedMethods: ["PUT", "GET"],
              AllowedHeaders: ["*"],
              ExposeHeaders: ["ETag"],
              MaxAgeSeconds: 600,
            },
          ],
        },
      }),
    );

    const allowed = await preflight("PUT");
    const wrongOrigin = await preflight("PUT", "https://evil.test");
    const wrongMethod = await preflight("DELETE");
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "upload.jpg" }), {
      expiresIn: 300,
    });
    const upload = await fetch(url, { method: "PUT", body: "browser bytes", headers: { origin } });
    const rules = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));

    expect(before.status).toBe(403);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    expect(allowed.headers.get("access-control-allow-methods")).toBe("PUT, GET");
    expect(allowed.headers.get("access-control-allow-headers")).toBe("content-type");
    expect(allowed.headers.get("access-control-max-age")).toBe("600");
    expect(wrongOrigin.status).toBe(403);
    expect(wrongMethod.status).toBe(403);
    expect(upload.status).toBe(200);
    expect(upload.headers.get("access-control-allow-origin")).toBe(origin);
    expect(upload.headers.get("access-control-expose-headers")).toBe("ETag");
    expect(rules.CORSRules?.[0]?.AllowedOrigins).toEqual(["https://*.example.com"]);
  });

  it("over HTTP, lets a page the engine does not allow through only where the bucket's CORS rules do, signed", async () => {
    // https://shop.example.com is not an engine origin (corsOrigins has app.example.com): only bucket rules decide.
    const page = "https://shop.example.com";
    const corsBucket = "cors-over-http";
    await s3.send(new CreateBucketCommand({ Bucket: corsBucket }));
    const preflight = (origin: string, method: string) =>
      fetch(`${engine.endpoint}/${corsBucket}/photo.jpg`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": method,
          "access-control-request-headers": "content-type",
        },
      });
    const beforeRules = await preflight(page, "PUT");
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: corsBucket,
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["PUT"], AllowedHeaders: ["*"] },
          ],
        },
      }),
    );
    const allowed = await preflight(page, "PUT");
    const otherSite = await preflight("https://evil.test", "PUT");
    const otherMethod = await preflight(page, "DELETE");
    // An unsigned write from the page is the engine's administrator, not something a CORS rule grants.
    const unsigned = await fetch(`${engine.endpoint}/${corsBucket}/unsigned.jpg`, {
      method: "PUT",
      body: "x",
      headers: { origin: page },
    });
    // A browser app's SDK signs its requests (the Origin header is the browser's, outside the signature).
    const browserSdk = s3Client(engine.endpoint);
    browserSdk.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.origin = page;
        return next(args);
      },
      { step: "finalizeRequest", name: "browserOrigin", priority: "low" },
    );
    const signed = await browserSdk.send(
      new PutObjectCommand({ Bucket: corsBucket, Key: "signed.jpg", Body: "y" }),
    );
    browserSdk.destroy();

    expect(beforeRules.status).toBe(403);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(page);
    expect(otherSite.status).toBe(403);
    expect(otherMethod.status).toBe(403);
    expect(unsigned.status).toBe(403);
    expect(signed.$metadata.httpStatusCode).toBe(200);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: corsBucket, Key: "unsigned.jpg" })),
    ).rejects.toMatchObject({
      name: "NotFound",
    });
  });

  it("stores ownership controls and refuses ACLs once BucketOwnerEnforced", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "owned" }));
    await s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: "owned",
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      }),
    );

    const controls = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "owned" }));
    const withAcl = await failure(
      s3.send(new PutObjectCommand({ Bucket: "owned", Key: "k", Body: "x", ACL: "authenticated-read" })),
    );
    const ownerAcl = await s3.send(
      new PutObjectCommand({ Bucket: "owned", Key: "k", Body: "x", ACL: "bucket-owner-full-control" }),
    );

    expect(controls.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe("BucketOwnerEnforced");
    expect(withAcl).toMatchObject({ name: "AccessControlListNotSupported", status: 400 });
    expect(ownerAcl.ETag).toBeTruthy();
  });

  it("answers GetObjectAttributes without reading the object", async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "attributes", Body: "12345", ChecksumAlgorithm: "SHA256" }),
    );

    const attributes = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: bucket,
        Key: "attributes",
        ObjectAttributes: ["ETag", "ObjectSize", "StorageClass", "Checksum"],
      }),
    );

    expect(attributes.ETag).toBe(put.ETag?.replace(/"/g, ""));
    expect(attributes.ObjectSize).toBe(5);
    expect(attributes.StorageClass).toBe("STANDARD");
    expect(attributes.Checksum?.ChecksumSHA256).toBe(put.ChecksumSHA256);
  });

  it("stores and returns a lifecycle configuration (not applied: the engine has no lifecycle clock)", async () => {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: "expire-tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } },
          ],
        },
      }),
    );

    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));

    expect(lifecycle.Rules?.[0]).toMatchObject({
      ID: "expire-tmp",
      Status: "Enabled",
      Expiration: { Days: 1 },
    });
  });

  it("takes a browser-form POST upload whose policy conditions hold, and refuses one whose do not", async () => {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
      }),
    );
    const policyFor = (maxSize: number) =>
      Buffer.from(
        JSON.stringify({
          expiration: new Date(Date.now() + 600_000).toISOString(),
          conditions: [
            { bucket },
            ["starts-with", "$key", "forms/"],
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", 1, maxSize],
            { success_action_status: "201" },
          ],
        }),
      ).toString("base64");
    const post = (key: string, policy: string) => {
      const form = new FormData();
      form.set("key", key);
      form.set("Content-Type", "image/png");
      form.set("success_action_status", "201");
      form.set("policy", policy);
      form.set("x-amz-signature", createHmac("sha256", "test").update(policy).digest("hex"));
      form.set("file", new Blob([Buffer.from("form bytes")]), "photo.png");
      return fetch(`${engine.endpoint}/${bucket}`, { method: "POST", body: form });
    };

    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal `${filename}` placeholder.
    const accepted = await post("forms/${filename}", policyFor(1024));
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "forms/photo.png" }));
    const wrongPrefix = await post("elsewhere/photo.png", policyFor(1024));
    const tooLarge = await post("forms/big.png", policyFor(4));

    expect(accepted.status).toBe(201);
    expect(await accepted.text()).toContain("<Key>forms/photo.png</Key>");
    expect((await bytesOf(stored.Body)).toString()).toBe("form bytes");
    expect(stored.ContentType).toBe("image/png");
    expect(events.find((e) => e.key === "forms/photo.png")?.eventName).toBe("ObjectCreated:Post");
    expect(wrongPrefix.status).toBe(403);
    expect(await wrongPrefix.text()).toContain("Policy Condition failed");
    expect(tooLarge.status).toBe(400);
  });
});
