import { createHash } from "node:crypto";

/** Lambda's `CodeSha256` of a deployment package: base64 of its SHA-256. */
export function codeSha256(zip: Uint8Array): string {
  return createHash("sha256").update(zip).digest("base64");
}
