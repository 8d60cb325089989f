import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import type { S3Service } from "../../src/engine/s3/index.ts";

const run = promisify(execFile);
/** The AWS CLI v2 from Debian; the `aws` first on PATH may be an old v1, so the path is explicit. */
const AWS_CLI = "/usr/bin/aws";
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

// Without the CLI binary there is nothing to test here; every other S3 behaviour is covered by s3-conformance.
describe.skipIf(!existsSync(AWS_CLI))("S3 with the AWS CLI v2", () => {
  let engine: Engine;
  let workDir: string;
  const bucket = "cli-bucket";

  /** Runs `/usr/bin/aws <args> --endpoint-url <engine>` with test credentials; returns stdout. */
  async function aws(...args: string[]): Promise<string> {
    const { stdout } = await run(AWS_CLI, [...args, "--endpoint-url", engine.endpoint], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: workDir,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_PAGER: "",
        AWS_CONFIG_FILE: join(workDir, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(workDir, "credentials"),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "s3-awscli-"));
    engine = await startEngine({ port: 0 });
  });

  afterAll(async () => {
    await engine?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("makes a bucket with `s3 mb`", async () => {
    const output = await aws("s3", "mb", `s3://${bucket}`);

    expect(output).toContain(`make_bucket: ${bucket}`);
    expect((engine.edge.service("s3") as S3Service).listBuckets().map((b) => b.name)).toContain(bucket);
  });

  it("copies a small file up and down with `s3 cp`", async () => {
    const source = join(workDir, "hello world.txt");
    const target = join(workDir, "hello-back.txt");
    await writeFile(source, "hello from the cli\n");

    await aws("s3", "cp", source, `s3://${bucket}/docs/hello world.txt`);
    await aws("s3", "cp", `s3://${bucket}/docs/hello world.txt`, target);

    expect(await readFile(target, "utf8")).toBe("hello from the cli\n");
  });

  it("uploads a 20 MB file in parts and downloads it byte-exact", async () => {
    const data = randomBytes(20 * 1000 * 1000);
    const source = join(workDir, "big.bin");
    const target = join(workDir, "big-back.bin");
    await writeFile(source, data);

    await aws("s3", "cp", source, `s3://${bucket}/big.bin`);
    await aws("s3", "cp", `s3://${bucket}/big.bin`, target);
    const head = JSON.parse(await aws("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")) as {
      ContentLength: number;
      ETag: string;
    };

    expect(md5(await readFile(target))).toBe(md5(data));
    expect(head.ContentLength).toBe(data.length);
    // The CLI uploads files above its 8 MiB threshold as a multipart upload.
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
  });

  it("lists with `s3 ls`, including prefixes", async () => {
    const root = await aws("s3", "ls", `s3://${bucket}/`);
    const docs = await aws("s3", "ls", `s3://${bucket}/docs/`);
    const buckets = await aws("s3", "ls");

    expect(root).toMatch(/PRE docs\//);
    expect(root).toMatch(/20000000 big\.bin/);
    expect(docs).toContain("hello world.txt");
    expect(buckets).toContain(bucket);
  });

  it("reads object metadata with `s3api head-object`", async () => {
    const source = join(workDir, "meta.json");
    await writeFile(source, "{}");
    await aws(
      "s3",
      "cp",
      source,
      `s3://${bucket}/meta.json`,
      "--content-type",
      "application/json",
      "--metadata",
      "owner=cli",
    );

    const head = JSON.parse(await aws("s3api", "head-object", "--bucket", bucket, "--key", "meta.json")) as {
      ContentLength: number;
      ContentType: string;
      ETag: string;
      Metadata: Record<string, string>;
    };

    expect(head).toMatchObject({
      ContentLength: 2,
      ContentType: "application/json",
      Metadata: { owner: "cli" },
    });
    expect(head.ETag).toBe(`"${md5(Buffer.from("{}"))}"`);
  });

  it("removes objects with `s3 rm`", async () => {
    await aws("s3", "rm", `s3://${bucket}/meta.json`);
    const failed = await aws("s3api", "head-object", "--bucket", bucket, "--key", "meta.json").then(
      () => undefined,
      (error: { stderr?: string }) => error,
    );

    expect(failed?.stderr).toMatch(/404|Not Found/);
  });

  it("puts and gets the public access block with `s3api`", async () => {
    await aws(
      "s3api",
      "put-public-access-block",
      "--bucket",
      bucket,
      "--public-access-block-configuration",
      "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
    );
    const stored = JSON.parse(await aws("s3api", "get-public-access-block", "--bucket", bucket)) as {
      PublicAccessBlockConfiguration: Record<string, boolean>;
    };

    expect(stored.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
  });

  it("puts and gets default bucket encryption with `s3api`", async () => {
    await aws(
      "s3api",
      "put-bucket-encryption",
      "--bucket",
      bucket,
      "--server-side-encryption-configuration",
      JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] }),
    );
    const stored = JSON.parse(await aws("s3api", "get-bucket-encryption", "--bucket", bucket)) as {
      ServerSideEncryptionConfiguration: {
        Rules: Array<{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: string } }>;
      };
    };

    expect(
      stored.ServerSideEncryptionConfiguration.Rules[0]?.ApplyServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe("AES256");
  });
});
