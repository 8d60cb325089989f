import { isPresignedObjectRequest } from "../request-guard.ts";
import type { CrossOriginAccess, RequestHead } from "../types.ts";
import { resolveAddress } from "./addressing.ts";
import { requestedHeaders, s3CorsAllows } from "./cors.ts";
import type { S3Runtime } from "./runtime.ts";
import { verifySignature } from "./signature.ts";

/**
 * Whether a browser request from a page the engine does not allow may still reach S3, as on AWS, where a page
 * can use what it holds a key or a presigned URL for, and read the answer only where the bucket's CORS rules say:
 *
 * - a CORS preflight, when the bucket's rules allow what it announces (S3 answers it; it changes nothing);
 * - a presigned object read or write (not a bucket: listing and creation are not presigned object URLs);
 * - a request the bucket's CORS rules allow for the page's origin.
 *
 * The last two must carry a valid SigV4 signature, checked here even when the engine does not verify
 * signatures (`--verify-signatures` off): without that, `Signature=0` would be the engine's administrator key
 * for any page a CORS rule names.
 */
export function s3CrossOriginAccess(
  runtime: S3Runtime,
  head: RequestHead,
  origin: string | undefined,
): CrossOriginAccess | undefined {
  let address: { bucket?: string | undefined; key?: string | undefined };
  try {
    address = resolveAddress(head.host, head.rawPath);
  } catch {
    return undefined;
  }
  const rules =
    address.bucket === undefined ? undefined : runtime.store.buckets.get(address.bucket)?.configuration.cors;
  const pageOrigin = origin !== undefined && origin !== "null" ? origin : undefined;
  if (head.method === "OPTIONS") {
    const method = head.headers["access-control-request-method"];
    const announced = head.headers["access-control-request-headers"];
    const names = requestedHeaders(typeof announced === "string" ? announced : undefined);
    return pageOrigin !== undefined &&
      typeof method === "string" &&
      s3CorsAllows(rules, pageOrigin, method, names) !== undefined
      ? "bucket-cors"
      : undefined;
  }
  const presigned = isPresignedObjectRequest(head.method.toUpperCase(), address.key, head.query);
  const corsAllowed =
    pageOrigin !== undefined &&
    rules !== undefined &&
    s3CorsAllows(rules, pageOrigin, head.method) !== undefined;
  if (!presigned && !corsAllowed) return undefined;
  if (!hasValidSignature(runtime, head)) return undefined;
  return presigned ? "presigned" : "bucket-cors";
}

function hasValidSignature(runtime: S3Runtime, head: RequestHead): boolean {
  const authorization = head.headers.authorization;
  const sigV4 =
    (typeof authorization === "string" && authorization.startsWith("AWS4-HMAC-SHA256 ")) ||
    head.query.has("X-Amz-Signature");
  if (!sigV4) return false;
  try {
    verifySignature({ ...head, body: Buffer.alloc(0) }, (key) => runtime.context.credentials.secretOf(key), {
      checkPayload: false,
    });
    return true;
  } catch {
    return false;
  }
}
