import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { findAwsCliV2 } from "../helpers/aws-cli.ts";
import { awsCli, bytesOf, failure, s3Client } from "../helpers/s3.ts";

const cli = findAwsCliV2();
const key = "dir/a key+plus é (1).txt";

/** `verifySignatures` (`pipeline up --verify-signatures`): SigV4 checked against the keys the engine knows. */
describe("S3 with signature verification on", () => {
  let engine: Engine;
  let s3: S3Client;
  let workDir: string;
  const bucket = "signed";

  beforeAll(async () => {
    engine = await startEngine({ port: 0, verifySignatures: true });
    s3 = s3Client(engine.endpoint);
    workDir = await mkdtemp(join(tmpdir(), "s3-signatures-"));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const withSecret = (accessKeyId: string, secretAccessKey: string, sessionToken?: string) =>
    new S3Client({
      endpoint: engine.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    });

  it("accepts correctly signed SDK requests, streaming and plain, with awkward keys and queries", async () => {
    const plain = s3Client(engine.endpoint, { requestChecksumCalculation: "WHEN_REQUIRED" });

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "signed bytes" }));
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: "plain.txt", Body: "plain" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/a key", Delimiter: "/" }),
    );
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "plain.txt" }] } }),
    );
    plain.destroy();

    expect((await bytesOf(got.Body)).toString()).toBe("signed bytes");
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    expect(deleted.Deleted).toHaveLength(1);
  });

  it("refuses a wrong secret, an unknown key and unsigned requests", async () => {
    const wrong = withSecret("test", "not-the-secret");
    const unknown = withSecret("AKIAUNKNOWN", "whatever");

    const mismatch = await failure(wrong.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const notFound = await failure(unknown.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const unsigned = await fetch(`${engine.endpoint}/${bucket}/${encodeURIComponent(key)}`);
    wrong.destroy();
    unknown.destroy();

    expect(mismatch).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    expect(notFound).toMatchObject({ name: "InvalidAccessKeyId", status: 403 });
    expect(unsigned.status).toBe(403);
  });

  it("checks presigned URLs: a good one works, a tampered or wrongly keyed one does not", async () => {
    const command = new GetObjectCommand({ Bucket: bucket, Key: key });
    const good = await getSignedUrl(s3, command, { expiresIn: 300 });
    const tampered = good.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`,
    );
    const wrong = withSecret("test", "not-the-secret");
    const wronglyKeyed = await getSignedUrl(wrong, command, { expiresIn: 300 });
    wrong.destroy();

    const served = await fetch(good);
    const refused = await fetch(tampered);
    const refusedKey = await fetch(wronglyKeyed);

    expect(await served.text()).toBe("signed bytes");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("SignatureDoesNotMatch");
    expect(refusedKey.status).toBe(403);
  });

  it("knows the keys it issued for roles (the Lambda runtime's and STS's), with their own secrets", async () => {
    const issued = engine.context.credentials.issueForRole(
      "arn:aws:iam::000000000000:role/nobody",
      "session",
    );
    const right = withSecret(issued.accessKeyId, issued.secretAccessKey, issued.sessionToken);
    const wrong = withSecret(issued.accessKeyId, "not-the-secret", issued.sessionToken);

    // The signature is accepted; what stops the request is the role's (missing) policy.
    const authorized = await failure(right.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const forged = await failure(wrong.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    right.destroy();
    wrong.destroy();

    expect(authorized).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(forged).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
  });

  it.skipIf(!cli)("accepts the AWS CLI v2's signatures for cp and ls", async () => {
    const source = join(workDir, "cli file.txt");
    const target = join(workDir, "cli-back.txt");
    await writeFile(source, "from the cli");
    const aws = (...args: string[]) => awsCli(cli as string, engine.endpoint, ...args);

    await aws("s3", "cp", source, `s3://${bucket}/cli dir/cli file.txt`);
    const listing = await aws("s3", "ls", `s3://${bucket}/cli dir/`);
    await aws("s3", "cp", `s3://${bucket}/cli dir/cli file.txt`, target);

    expect(listing).toContain("cli file.txt");
    expect(await readFile(target, "utf8")).toBe("from the cli");
  });
});
