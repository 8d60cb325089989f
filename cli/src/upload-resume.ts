import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { isNotFoundError } from "../../src/aws/errors.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import type { Target } from "./target.ts";
import type { PlannedUpload } from "./upload-plan.ts";

/** The MD5 of a file, hex: a single-part PutObject's ETag (SSE-S3 or none) is exactly this. */
async function fileMd5(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The planned uploads whose key already holds the same bytes: same size, and an ETag equal to the file's MD5 (what
 * S3 answers for a single-part upload without SSE-KMS). A multipart ETag (`…-N`) never matches, so such an object is
 * uploaded again rather than trusted on size alone.
 */
export async function existing(
  target: Target<"s3">,
  uploads: PlannedUpload[],
  concurrency: number,
): Promise<PlannedUpload[]> {
  const limit = pLimit(concurrency);
  const found = await Promise.all(
    uploads.map((upload) =>
      limit(async () => {
        try {
          const head = await target.clients.s3.send(
            new HeadObjectCommand({ Bucket: target.stack.bucket, Key: upload.key }),
          );
          if (head.ContentLength !== upload.size) return undefined;
          return stripETagQuotes(head.ETag ?? "") === (await fileMd5(upload.path)) ? upload : undefined;
        } catch (error) {
          if (isNotFoundError(error)) return undefined;
          throw error;
        }
      }),
    ),
  );
  return found.filter((u): u is PlannedUpload => u !== undefined);
}
