import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { findAwsCliV2 } from "../helpers/aws-cli.ts";
import { awsCli, bytesOf, failure, s3Client } from "../helpers/s3.ts";

const MiB = 1024 * 1024;
const crc32Base64 = (data: Uint8Array) => {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(crc32(data));
  return value.toString("base64");
};
const customerKey = randomBytes(32);
const sseC = {
  SSECustomerAlgorithm: "AES256",
  SSECustomerKey: customerKey.toString("base64"),
  SSECustomerKeyMD5: createHash("md5").update(customerKey).digest("base64"),
};
const cli = findAwsCliV2();

/** The 12 S3 bugs of issue 16, each reproduced with the SDK v3 (and the AWS CLI v2 where it can say it). */
describe("S3 regressions (issue 16)", () => {
  let engine: Engine;
  let s3: S3Client;
  let workDir: string;
  const bucket = "regressions";

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    s3 = s3Client(engine.endpoint);
    workDir = await mkdtemp(join(tmpdir(), "s3-regressions-"));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("1: a retried CompleteMultipartUpload answers 200 with the same ETag", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "retry" }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: "retry", UploadId, PartNumber: 1, Body: "only part" }),
    );
    const complete = () =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: "retry",
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      );

    const first = await complete();
    const second = await complete();

    expect(second.ETag).toBe(first.ETag);
    expect(second.Key).toBe("retry");
  });

  it("2: the whole-object checksum on Complete is checked against the object, composite and full-object", async () => {
    const partA = randomBytes(5 * MiB);
    const partB = randomBytes(1024);
    const upload = async (key: string, type: "COMPOSITE" | "FULL_OBJECT") => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: "CRC32",
          ChecksumType: type,
        }),
      );
      const parts = [];
      for (const [index, body] of [partA, partB].entries()) {
        const sent = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: index + 1,
            Body: body,
            ChecksumCRC32: crc32Base64(body),
          }),
        );
        parts.push({ PartNumber: index + 1, ETag: sent.ETag, ChecksumCRC32: sent.ChecksumCRC32 });
      }
      return { UploadId, parts };
    };
    const composite = await upload("composite", "COMPOSITE");
    const compositeValue = `${crc32Base64(
      Buffer.concat([partA, partB].map((part) => Buffer.from(crc32Base64(part), "base64"))),
    )}-2`;
    const full = await upload("full", "FULL_OBJECT");
    const fullValue = crc32Base64(Buffer.concat([partA, partB]));
    const wrong = await upload("wrong", "FULL_OBJECT");

    const compositeResult = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: "composite",
        UploadId: composite.UploadId,
        ChecksumCRC32: compositeValue,
        MultipartUpload: { Parts: composite.parts },
      }),
    );
    const fullResult = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: "full",
        UploadId: full.UploadId,
        ChecksumCRC32: fullValue,
        ChecksumType: "FULL_OBJECT",
        MultipartUpload: { Parts: full.parts },
      }),
    );
    const mismatch = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: "wrong",
          UploadId: wrong.UploadId,
          ChecksumCRC32: crc32Base64(Buffer.from("something else")),
          ChecksumType: "FULL_OBJECT",
          MultipartUpload: { Parts: wrong.parts },
        }),
      ),
    );

    expect(compositeResult.ChecksumCRC32).toBe(compositeValue);
    expect(fullResult.ChecksumCRC32).toBe(fullValue);
    expect(mismatch).toMatchObject({ name: "BadDigest", status: 400 });
  });

  it("3: a truncated ListObjectVersions names NextVersionIdMarker, and paging visits every version once", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "versions-paging" }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: "versions-paging",
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
    const written: string[] = [];
    for (const key of ["a", "b", "c"]) {
      for (const round of [1, 2]) {
        const put = await s3.send(
          new PutObjectCommand({ Bucket: "versions-paging", Key: key, Body: `${key}${round}` }),
        );
        written.push(`${key}/${put.VersionId}`);
      }
    }

    const seen: string[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    let pages = 0;
    for (;;) {
      const page = await s3.send(
        new ListObjectVersionsCommand({ Bucket: "versions-paging", MaxKeys: 4, ...markers }),
      );
      pages++;
      for (const version of page.Versions ?? []) seen.push(`${version.Key}/${version.VersionId}`);
      if (!page.IsTruncated) break;
      expect(page.NextVersionIdMarker).toBeTruthy();
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }

    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(written.sort());
  });

  it("4: ListObjects v1 with encoding-type=url leaves the top-level Prefix as given", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a b/c d", Body: "x" }));

    const response = await fetch(`${engine.endpoint}/${bucket}?prefix=a%20b%2F&encoding-type=url`);
    const xml = await response.text();

    expect(xml).toContain("<Prefix>a b/</Prefix>");
    expect(xml).toContain("<Key>a+b/c+d</Key>");
  });

  it("5: max-keys=0 answers an empty page that is not truncated", async () => {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0 }));

    expect(page.IsTruncated).toBe(false);
    expect(page.KeyCount).toBe(0);
  });

  it("6: ListBuckets pages with max-buckets and continuation-token", async () => {
    for (const name of ["page-1", "page-2", "page-3"])
      await s3.send(new CreateBucketCommand({ Bucket: name }));

    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListBucketsCommand({ MaxBuckets: 2, Prefix: "page-", ContinuationToken: token }),
      );
      pages++;
      names.push(...(page.Buckets ?? []).map((b) => b.Name ?? ""));
      token = page.ContinuationToken;
    } while (token);

    expect(names).toEqual(["page-1", "page-2", "page-3"]);
    expect(pages).toBe(2);
  });

  it("7: Content-Encoding `deflate, gzip` comes back as sent", async () => {
    for (const requestChecksumCalculation of ["WHEN_SUPPORTED", "WHEN_REQUIRED"] as const) {
      const client = s3Client(engine.endpoint, { requestChecksumCalculation });
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: "encoded", Body: "x", ContentEncoding: "deflate, gzip" }),
      );
      const head = await fetch(`${engine.endpoint}/${bucket}/encoded`, { method: "HEAD" });
      client.destroy();

      expect(head.headers.get("content-encoding")).toBe("deflate, gzip");
    }
  });

  it("8: UploadPartCopy reports the upload's SSE-S3 encryption, as UploadPart does", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "copy-source", Body: "source bytes" }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: "copied", ServerSideEncryption: "AES256" }),
    );

    const copied = await s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: "copied",
        UploadId,
        PartNumber: 1,
        CopySource: `${bucket}/copy-source`,
      }),
    );

    expect(copied.ServerSideEncryption).toBe("AES256");
  });

  it("9: HeadObject and GetObject with an x-amz-server-side-encryption header are refused (400)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "plain", Body: "x" }));

    const head = await fetch(`${engine.endpoint}/${bucket}/plain`, {
      method: "HEAD",
      headers: { "x-amz-server-side-encryption": "AES256" },
    });
    const get = await fetch(`${engine.endpoint}/${bucket}/plain`, {
      headers: { "x-amz-server-side-encryption": "AES256" },
    });

    expect(head.status).toBe(400);
    expect(get.status).toBe(400);
    expect(await get.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("10: Block Public Access refuses a PutObject with a public ACL", async () => {
    // ACLs are on only where ownership allows them (new buckets are BucketOwnerEnforced, as on AWS since 2023).
    await s3.send(new CreateBucketCommand({ Bucket: "blocked", ObjectOwnership: "ObjectWriter" }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: "blocked",
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );

    const refused = await failure(
      s3.send(new PutObjectCommand({ Bucket: "blocked", Key: "public", Body: "x", ACL: "public-read" })),
    );
    const privateWrite = await s3.send(
      new PutObjectCommand({ Bucket: "blocked", Key: "private", Body: "x", ACL: "private" }),
    );

    expect(refused).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(privateWrite.ETag).toBeTruthy();
  });

  it("11: an SSE-C object needs its key to be read; SSE-KMS is refused, not ignored", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sse-c", Body: "secret", ...sseC }));
    const otherKey = randomBytes(32);

    const withoutKey = await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sse-c" })));
    const wrongKey = await failure(
      s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: "sse-c",
          SSECustomerAlgorithm: "AES256",
          SSECustomerKey: otherKey.toString("base64"),
        }),
      ),
    );
    const badMd5 = await fetch(`${engine.endpoint}/${bucket}/sse-c-md5`, {
      method: "PUT",
      body: "x",
      headers: {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": sseC.SSECustomerKey,
        "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update("nope").digest("base64"),
      },
    });
    const withKey = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sse-c", ...sseC }));
    const kms = await failure(
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: "kms", Body: "x", ServerSideEncryption: "aws:kms" }),
      ),
    );

    expect(withoutKey).toMatchObject({ name: "InvalidRequest", status: 400 });
    expect(wrongKey).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(badMd5.status).toBe(400);
    expect((await bytesOf(withKey.Body)).toString()).toBe("secret");
    expect(withKey.SSECustomerKeyMD5).toBe(sseC.SSECustomerKeyMD5);
    expect(kms).toMatchObject({ name: "NotImplemented", status: 501 });
  });

  it("11b: what the engine cannot honour is refused, never stored and ignored: SSE-C without its key MD5, a KMS key id without SSE-KMS, Object Lock", async () => {
    const put = (key: string, headers: Record<string, string>) =>
      fetch(`${engine.endpoint}/${bucket}/${key}`, { method: "PUT", body: "x", headers });
    const noMd5 = await put("sse-c-no-md5", {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": sseC.SSECustomerKey,
    });
    const keyIdWithAes = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "aes-with-kms-key",
          Body: "x",
          ServerSideEncryption: "AES256",
          SSEKMSKeyId: "alias/mine",
        }),
      ),
    );
    const keyIdAlone = await put("kms-key-alone", {
      "x-amz-server-side-encryption-aws-kms-key-id": "alias/mine",
    });
    const lockedPut = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "locked",
          Body: "x",
          ObjectLockMode: "GOVERNANCE",
          ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
        }),
      ),
    );
    const lockedBucket = await failure(
      s3.send(new CreateBucketCommand({ Bucket: "lock-enabled", ObjectLockEnabledForBucket: true })),
    );

    expect(noMd5.status).toBe(400);
    expect(await noMd5.text()).toContain("must provide the client calculated MD5 of the secret key.");
    expect(keyIdWithAes).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(keyIdAlone.status).toBe(400);
    expect(lockedPut).toMatchObject({ name: "NotImplemented", status: 501 });
    expect(lockedBucket).toMatchObject({ name: "NotImplemented", status: 501 });
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).not.toContain("lock-enabled");
    for (const key of ["sse-c-no-md5", "aes-with-kms-key", "kms-key-alone", "locked"])
      expect(await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).toMatchObject({
        status: 404,
      });
  });

  it("11c: tag sets past S3's limits are InvalidTag: 10 an object, 50 a bucket", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "x" }));
    const tags = (count: number) => Array.from({ length: count }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const objectTags = await failure(
      s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "tagged", Tagging: { TagSet: tags(11) } })),
    );
    const headerTags = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "header-tagged",
          Body: "x",
          Tagging: tags(11)
            .map((tag) => `${tag.Key}=${tag.Value}`)
            .join("&"),
        }),
      ),
    );
    const longKey = await failure(
      s3.send(
        new PutObjectTaggingCommand({
          Bucket: bucket,
          Key: "tagged",
          Tagging: { TagSet: [{ Key: "k".repeat(129), Value: "v" }] },
        }),
      ),
    );
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags(50) } }));
    const bucketTags = await failure(
      s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags(51) } })),
    );

    for (const refused of [objectTags, headerTags, longKey, bucketTags])
      expect(refused).toMatchObject({ name: "InvalidTag", status: 400 });
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toHaveLength(50);
  });

  it("12: an expired presigned URL is refused; a fresh one works", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "presigned", Body: "fresh" }));
    const command = new GetObjectCommand({ Bucket: bucket, Key: "presigned" });
    const expired = await getSignedUrl(s3, command, {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const fresh = await getSignedUrl(s3, command, { expiresIn: 60 });

    const refused = await fetch(expired);
    const served = await fetch(fresh);

    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Request has expired");
    expect(await served.text()).toBe("fresh");
  });

  describe.skipIf(!cli)("with the AWS CLI v2", () => {
    const aws = (...args: string[]) => awsCli(cli as string, engine.endpoint, ...args);

    it("11: `s3 cp --sse-c` round-trips with the key, and reading without it fails", async () => {
      const keyFile = join(workDir, "sse-c.key");
      const source = join(workDir, "sse-c.txt");
      const target = join(workDir, "sse-c-back.txt");
      await writeFile(keyFile, customerKey);
      await writeFile(source, "cli secret");

      await aws(
        "s3",
        "cp",
        source,
        `s3://${bucket}/cli-sse-c`,
        "--sse-c",
        "AES256",
        "--sse-c-key",
        `fileb://${keyFile}`,
      );
      const refused = await aws("s3api", "head-object", "--bucket", bucket, "--key", "cli-sse-c").then(
        () => "succeeded",
        (error: { stderr?: string }) => error.stderr ?? "",
      );
      await aws(
        "s3",
        "cp",
        `s3://${bucket}/cli-sse-c`,
        target,
        "--sse-c",
        "AES256",
        "--sse-c-key",
        `fileb://${keyFile}`,
      );

      expect(refused).toContain("400");
      expect(await readFile(target, "utf8")).toBe("cli secret");
    });

    it("10: `s3 cp --acl public-read` into a bucket that blocks public ACLs fails", async () => {
      const source = join(workDir, "public.txt");
      await writeFile(source, "public");

      const outcome = await aws("s3", "cp", source, "s3://blocked/cli-public", "--acl", "public-read").then(
        () => "succeeded",
        (error: { stderr?: string }) => error.stderr ?? "",
      );

      expect(outcome).toContain("AccessDenied");
    });

    it("1: `s3api complete-multipart-upload` twice succeeds twice", async () => {
      const create = JSON.parse(
        await aws("s3api", "create-multipart-upload", "--bucket", bucket, "--key", "cli-retry"),
      );
      const body = join(workDir, "part.bin");
      await writeFile(body, "part");
      const part = JSON.parse(
        await aws(
          "s3api",
          "upload-part",
          "--bucket",
          bucket,
          "--key",
          "cli-retry",
          "--upload-id",
          create.UploadId,
          "--part-number",
          "1",
          "--body",
          body,
        ),
      );
      const parts = JSON.stringify({ Parts: [{ PartNumber: 1, ETag: part.ETag }] });
      const complete = () =>
        aws(
          "s3api",
          "complete-multipart-upload",
          "--bucket",
          bucket,
          "--key",
          "cli-retry",
          "--upload-id",
          create.UploadId,
          "--multipart-upload",
          parts,
        );

      const first = JSON.parse(await complete());
      const second = JSON.parse(await complete());

      expect(second.ETag).toBe(first.ETag);
    });
  });
});
