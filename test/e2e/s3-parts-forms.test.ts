import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { s3Client } from "../helpers/s3.ts";

/** Issue 27 (S3): a part's checksum on `?partNumber=N` reads, and browser-form fields sent as file parts. */
describe("S3 part reads and form uploads", () => {
  let engine: Engine;
  let s3: S3Client;

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    s3 = s3Client(engine.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: "parts" }));
  });

  afterAll(async () => {
    s3?.destroy();
    await engine?.stop();
  });

  it("GET/HEAD ?partNumber=N answer the part's checksum and the parts count", async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "parts", Key: "mp", ChecksumAlgorithm: "SHA256" }),
    );
    const bodies = [Buffer.alloc(5 * 1024 * 1024, "a"), Buffer.from("tail")];
    const parts = [];
    for (const [index, Body] of bodies.entries()) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: "parts",
          Key: "mp",
          UploadId,
          PartNumber: index + 1,
          Body,
          ChecksumAlgorithm: "SHA256",
        }),
      );
      parts.push({ PartNumber: index + 1, ETag: part.ETag, ChecksumSHA256: part.ChecksumSHA256 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "parts",
        Key: "mp",
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: 2, ChecksumMode: "ENABLED" }),
    );
    const get = await s3.send(
      new GetObjectCommand({ Bucket: "parts", Key: "mp", PartNumber: 1, ChecksumMode: "ENABLED" }),
    );
    await get.Body?.transformToByteArray();

    expect(head.PartsCount).toBe(2);
    expect(head.ContentLength).toBe(4);
    expect(head.ChecksumSHA256).toBe(parts[1]?.ChecksumSHA256);
    expect(get.PartsCount).toBe(2);
    expect(get.ChecksumSHA256).toBe(parts[0]?.ChecksumSHA256);
  });

  it("a form upload reads fields sent as file parts with a filename (as Python requests sends them)", async () => {
    const form = new FormData();
    // A Blob with a filename makes a file part, as `requests.post(url, files={"key": ...})` does.
    form.append("key", new Blob(["from-requests.txt"]), "key");
    form.append("Content-Type", new Blob(["text/plain"]), "Content-Type");
    form.append("file", new Blob(["form body"]), "upload.txt");

    const response = await fetch(`${engine.endpoint}/parts`, { method: "POST", body: form });
    const stored = await s3.send(new GetObjectCommand({ Bucket: "parts", Key: "from-requests.txt" }));

    expect(response.status).toBe(204);
    expect(await stored.Body?.transformToString()).toBe("form body");
    expect(stored.ContentType).toBe("text/plain");
  });
});
