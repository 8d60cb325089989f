import { PutObjectCommand } from "@aws-sdk/client-s3";
import mime from "mime-types";
import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";
import { DashboardRequestError } from "./errors.ts";

/** What the page gets back for one uploaded file. */
export interface UploadResult {
  bucket: string;
  key: string;
  eTag: string;
  size: number;
  contentType: string;
}

/** S3 keys are at most 1024 bytes; the prefix takes some of that. */
const maxNameBytes = 900;

/**
 * The object key for a dropped file: the stack's upload prefix plus the file's base name (a browser sends no
 * directories, but a hand-made request might).
 *
 * @example uploadKey("uploads/", "C:\\photos\\cat.jpg") === "uploads/cat.jpg"
 */
export function uploadKey(prefix: string, fileName: string): string {
  const base = (fileName.split(/[/\\]/).pop() ?? "").trim();
  if (base === "" || base === "." || base === "..") {
    throw new DashboardRequestError(400, "a file name is required (?name=...)");
  }
  if (Buffer.byteLength(base) > maxNameBytes) throw new DashboardRequestError(400, "file name is too long");
  return `${prefix}${base}`;
}

/** Content type for an upload: the browser's, else from the extension, else S3's default. */
export function uploadContentType(fileName: string, declared: string | undefined): string {
  const given = declared?.split(";")[0]?.trim();
  if (given && given !== "application/octet-stream") return given;
  return mime.lookup(fileName) || "binary/octet-stream";
}

/** Puts one file into the stack's bucket under the upload prefix through the S3 API, so the event flows. */
export async function uploadObject(
  clients: AwsClients,
  stack: Stack,
  file: { name: string; body: Buffer; contentType?: string },
): Promise<UploadResult> {
  const key = uploadKey(stack.uploadPrefix, file.name);
  const contentType = uploadContentType(file.name, file.contentType);
  const result = await clients.s3.send(
    new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: file.body, ContentType: contentType }),
  );
  return {
    bucket: stack.bucket,
    key,
    eTag: (result.ETag ?? "").replace(/"/g, ""),
    size: file.body.length,
    contentType,
  };
}
