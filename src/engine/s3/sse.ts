import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { headerValue } from "../headers.ts";
import { invalidArgument, invalidRequest, notImplemented, S3Error } from "./errors.ts";
import type { ObjectAttributes } from "./storage/records.ts";

/** Header prefix of SSE-C on writes and reads; copies name their source's key with the `copy-source` one. */
const SSE_C_PREFIX = "x-amz-server-side-encryption-customer-";
export const COPY_SOURCE_SSE_C_PREFIX = "x-amz-copy-source-server-side-encryption-customer-";

const keyHeaderNames = (prefix: string) => ({
  algorithm: `${prefix}algorithm`,
  key: `${prefix}key`,
  keyMd5: `${prefix}key-md5`,
});
/** Every GET and HEAD looks these up: made once, not joined per request. */
const SSE_C_NAMES = keyHeaderNames(SSE_C_PREFIX);

/**
 * The SSE-C key a request presents, checked as S3 does: algorithm AES256, a 256-bit base64 key, and its
 * base64 MD5 matching `…-key-MD5`. Returns the key's MD5 (what the object keeps), or undefined when the
 * request names no customer key. The engine keeps bytes as they are; the key gates every read.
 *
 * @example customerKeyMd5({ "x-amz-server-side-encryption-customer-algorithm": "AES256", … }) // "Lq3…=="
 */
export function customerKeyMd5(headers: IncomingHttpHeaders, prefix = SSE_C_PREFIX): string | undefined {
  const names = prefix === SSE_C_PREFIX ? SSE_C_NAMES : keyHeaderNames(prefix);
  const algorithm = headerValue(headers, names.algorithm);
  const key = headerValue(headers, names.key);
  const keyMd5 = headerValue(headers, names.keyMd5);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm === undefined) {
    throw invalidArgument(
      "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
      `${prefix}algorithm`,
      "null",
    );
  }
  if (algorithm !== "AES256") {
    throw invalidArgument(
      "The encryption algorithm specified is not valid.",
      `${prefix}algorithm`,
      algorithm,
    );
  }
  if (key === undefined) {
    throw invalidArgument(
      "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
      `${prefix}key`,
      "null",
    );
  }
  const raw = Buffer.from(key, "base64");
  if (raw.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    throw invalidArgument(
      "The secret key was invalid for the specified algorithm.",
      `${prefix}key`,
      "[redacted]",
    );
  }
  // S3's error list: a customer key without its MD5 is InvalidArgument, not a key taken on trust.
  if (keyMd5 === undefined) {
    throw invalidArgument(
      "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
      `${prefix}key-MD5`,
      "null",
    );
  }
  const computed = createHash("md5").update(raw).digest("base64");
  if (keyMd5 !== computed) {
    throw invalidArgument(
      "The calculated MD5 hash of the key did not match the hash that was provided.",
      `${prefix}key-MD5`,
      keyMd5,
    );
  }
  return computed;
}

/**
 * Checks that a read presents the key an SSE-C object was written with (and only SSE-C objects get one):
 * no key is 400 InvalidRequest, a different key 403 AccessDenied, as on S3.
 */
export function assertCustomerKey(
  object: Pick<ObjectAttributes, "sseCustomerKeyMd5">,
  headers: IncomingHttpHeaders,
  prefix = SSE_C_PREFIX,
): void {
  const presented = customerKeyMd5(headers, prefix);
  if (object.sseCustomerKeyMd5 === undefined) {
    if (presented !== undefined)
      throw invalidRequest("The encryption parameters are not applicable to this object.");
    return;
  }
  if (presented === undefined) {
    throw invalidRequest(
      "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    );
  }
  if (presented !== object.sseCustomerKeyMd5) throw new S3Error(403, "AccessDenied", "Access Denied");
}

/** As `assertCustomerKey`, only when the request names a key (Complete and ListParts need none, but may send it). */
export function assertCustomerKeyIfPresented(
  object: Pick<ObjectAttributes, "sseCustomerKeyMd5">,
  headers: IncomingHttpHeaders,
): void {
  if (Object.keys(headers).some((name) => name.startsWith(SSE_C_PREFIX))) assertCustomerKey(object, headers);
}

/** SSE-KMS needs a KMS, which the engine does not have: refused, never stored and ignored. */
export function refuseKms(algorithm: string): never {
  throw notImplemented(`server-side encryption ${algorithm} (the engine has no KMS; use AES256 or SSE-C)`);
}

/** `x-amz-server-side-encryption-customer-*` response headers of an SSE-C object. */
export function customerKeyHeaders(
  attributes: Pick<ObjectAttributes, "sseCustomerKeyMd5">,
): Record<string, string> {
  if (attributes.sseCustomerKeyMd5 === undefined) return {};
  return {
    [`${SSE_C_PREFIX}algorithm`]: "AES256",
    [`${SSE_C_PREFIX}key-md5`]: attributes.sseCustomerKeyMd5,
  };
}
