import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import type { S3Service } from "../../src/engine/s3/index.ts";

const run = promisify(execFile);
const S3CMD = "/usr/bin/s3cmd";
const MiB = 1024 * 1024;
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/**
 * s3cmd (Debian's, a client nobody here wrote) syncing, checking and uploading multipart against the engine,
 * with SigV4 verification on so its signatures are checked too. Skipped where s3cmd is not installed.
 */
describe.skipIf(!existsSync(S3CMD))("S3 with s3cmd", () => {
  let engine: Engine;
  let workDir: string;
  let config: string;
  const bucket = "s3cmd-bucket";

  const s3cmd = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(S3CMD, ["-c", config, "--no-progress", ...args], {
        env: { PATH: process.env.PATH ?? "", HOME: workDir, LANG: "C.UTF-8" },
        maxBuffer: 16 * MiB,
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      throw new Error(`s3cmd ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr ?? error}`);
    }
  };

  beforeAll(async () => {
    engine = await startEngine({ port: 0, verifySignatures: true });
    workDir = await mkdtemp(join(tmpdir(), "s3-s3cmd-"));
    config = join(workDir, "s3cfg");
    const host = new URL(engine.endpoint).host;
    await writeFile(
      config,
      [
        "[default]",
        "access_key = test",
        "secret_key = test",
        `host_base = ${host}`,
        `host_bucket = ${host}`,
        "bucket_location = us-east-1",
        "use_https = False",
        "signature_v2 = False",
        "multipart_chunk_size_mb = 5",
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await engine?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("makes a bucket, syncs a tree (with a 12 MiB multipart file) and finds nothing left to sync", async () => {
    const tree = join(workDir, "tree");
    await mkdir(join(tree, "nested dir"), { recursive: true });
    const large = randomBytes(12 * MiB);
    await writeFile(join(tree, "large.bin"), large);
    await writeFile(join(tree, "nested dir", "small é.txt"), "small");
    await writeFile(join(tree, "plus+sign.txt"), "plus");

    await s3cmd("mb", `s3://${bucket}`);
    await s3cmd("sync", `${tree}/`, `s3://${bucket}/tree/`);
    const listing = await s3cmd("ls", "--recursive", `s3://${bucket}/tree/`);
    const again = await s3cmd("sync", "--dry-run", `${tree}/`, `s3://${bucket}/tree/`);
    const s3 = engine.edge.service("s3") as S3Service;
    const stored = s3.headObject(bucket, "tree/large.bin");

    expect(listing).toContain("tree/large.bin");
    expect(listing).toContain("tree/nested dir/small é.txt");
    expect(listing).toContain("tree/plus+sign.txt");
    // Compared by digest: a deep equality over 12 MiB of bytes takes minutes.
    expect(md5((await s3.readObject(bucket, "tree/large.bin")) ?? Buffer.alloc(0))).toBe(md5(large));
    expect(stored?.eTag).toMatch(/-3$/);
    expect(again).not.toMatch(/^upload:/m);
  }, 120_000);

  it("syncs back byte-exact and re-uploads only what changed", async () => {
    const back = join(workDir, "back");
    await s3cmd("sync", `s3://${bucket}/tree/`, `${back}/`);
    await writeFile(join(workDir, "tree", "plus+sign.txt"), "changed");
    const changed = await s3cmd("sync", "--dry-run", `${join(workDir, "tree")}/`, `s3://${bucket}/tree/`);

    expect(md5(await readFile(join(back, "large.bin")))).toBe(
      md5(await readFile(join(workDir, "tree", "large.bin"))),
    );
    expect(await readFile(join(back, "nested dir", "small é.txt"), "utf8")).toBe("small");
    expect(changed.match(/^upload:/gm)).toHaveLength(1);
    expect(changed).toContain("plus+sign.txt");
  }, 120_000);
});
