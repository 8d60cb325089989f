import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { ServiceRequest } from "../types.ts";
import { S3Error } from "./errors.ts";

/** What a signature check needs of a request. */
export type SignedRequest = Pick<
  ServiceRequest,
  "method" | "rawPath" | "query" | "headers" | "host" | "body" | "bodyStream"
>;

/** The secret of an access key the engine knows; undefined for unknown keys. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

const signatureMismatch = () =>
  new S3Error(
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  );

const unknownKey = (accessKeyId: string) =>
  new S3Error(
    403,
    "InvalidAccessKeyId",
    "The AWS Access Key Id you provided does not exist in our records.",
    {
      AWSAccessKeyId: accessKeyId,
    },
  );

/** RFC 3986 encoding as SigV4 canonicalizes: unreserved characters stay, everything else is %XX. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** S3's canonical URI: each path segment decoded once and re-encoded (S3 does not double-encode). */
function canonicalUri(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => {
      try {
        return uriEncode(decodeURIComponent(segment));
      } catch {
        return segment;
      }
    })
    .join("/");
}

function canonicalQuery(query: URLSearchParams, omit?: string): string {
  return [...query]
    .filter(([name]) => name !== omit)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function canonicalHeaders(request: SignedRequest, signedHeaders: string[]): string {
  return signedHeaders
    .map((name) => {
      const raw = name === "host" ? request.host : request.headers[name];
      const value = (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).trim().replace(/\s+/g, " ");
      return `${name}:${value}\n`;
    })
    .join("");
}

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** The SigV4 signing key for a credential scope. */
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  /** Query parameter to leave out of the canonical query (the presigned signature itself). */
  omit?: string;
}

function parseCredential(
  credential: string,
): Pick<Parsed, "accessKeyId" | "date" | "region" | "service"> | undefined {
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  if (!accessKeyId || !date || !region || !service || terminator !== "aws4_request") return undefined;
  return { accessKeyId, date, region, service };
}

function parseAuthorization(request: SignedRequest): Parsed | undefined {
  const header = request.headers.authorization;
  const amzDate = request.headers["x-amz-date"];
  if (typeof header === "string") {
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(
        header.trim(),
      );
    const credential = match ? parseCredential(match[1] ?? "") : undefined;
    if (!match || !credential || typeof amzDate !== "string") return undefined;
    const declared = request.headers["x-amz-content-sha256"];
    return {
      ...credential,
      signedHeaders: (match[2] ?? "").split(";"),
      signature: match[3] ?? "",
      amzDate,
      payloadHash: typeof declared === "string" ? declared : sha256Hex(request.body),
    };
  }
  const credential = parseCredential(request.query.get("X-Amz-Credential") ?? "");
  if (!credential) return undefined;
  return {
    ...credential,
    signedHeaders: (request.query.get("X-Amz-SignedHeaders") ?? "").split(";"),
    signature: request.query.get("X-Amz-Signature") ?? "",
    amzDate: request.query.get("X-Amz-Date") ?? "",
    payloadHash: request.query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    omit: "X-Amz-Signature",
  };
}

/**
 * Verifies a request's SigV4 signature (an `Authorization` header or a presigned URL's query) against the
 * secret of its access key, as S3 does: unknown keys are InvalidAccessKeyId, a wrong signature is
 * SignatureDoesNotMatch, a body that does not hash to `x-amz-content-sha256` is XAmzContentSHA256Mismatch.
 * Unsigned and SigV2 requests are refused. Streaming (aws-chunked) bodies are checked by their seed signature;
 * chunk signatures are not verified, nor the hash of a body the edge streams to the blob store.
 */
export function verifySignature(
  request: SignedRequest,
  secretOf: SecretLookup,
  /** `false` before the body is read (the edge's check of a cross-origin request): the signature only. */
  options: { checkPayload?: boolean } = {},
): void {
  const authorization = request.headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("AWS ")) {
    throw new S3Error(
      400,
      "InvalidRequest",
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    );
  }
  const parsed = parseAuthorization(request);
  if (!parsed) {
    if (authorization === undefined && !request.query.has("X-Amz-Credential"))
      throw new S3Error(
        403,
        "AccessDenied",
        "Access Denied (the engine verifies signatures: unsigned requests are refused)",
      );
    throw new S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.");
  }
  const secret = secretOf(parsed.accessKeyId);
  if (secret === undefined) throw unknownKey(parsed.accessKeyId);
  // A streamed body (PutObject, UploadPart) is not in memory here: its hash is not checked, its signature is.
  const buffered = request.bodyStream === undefined && options.checkPayload !== false;
  if (
    buffered &&
    /^[0-9a-f]{64}$/.test(parsed.payloadHash) &&
    sha256Hex(request.body) !== parsed.payloadHash
  ) {
    throw new S3Error(
      400,
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const canonicalRequest = [
    request.method,
    canonicalUri(request.rawPath),
    canonicalQuery(request.query, parsed.omit),
    canonicalHeaders(request, parsed.signedHeaders),
    parsed.signedHeaders.join(";"),
    parsed.payloadHash,
  ].join("\n");
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", parsed.amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const expected = createHmac("sha256", signingKey(secret, parsed.date, parsed.region, parsed.service))
    .update(stringToSign)
    .digest("hex");
  if (!sameSignature(expected, parsed.signature)) throw signatureMismatch();
}

/**
 * Verifies a browser form's policy signature (`x-amz-signature` = HMAC of the base64 policy with the signing
 * key of `x-amz-credential`).
 */
export function verifyPostPolicySignature(fields: Map<string, string>, secretOf: SecretLookup): void {
  const credential = parseCredential(fields.get("x-amz-credential") ?? "");
  const policy = fields.get("policy");
  const signature = fields.get("x-amz-signature");
  if (!credential || policy === undefined || signature === undefined)
    throw new S3Error(
      403,
      "AccessDenied",
      "Access Denied (the engine verifies signatures: the form is not signed)",
    );
  const secret = secretOf(credential.accessKeyId);
  if (secret === undefined) throw unknownKey(credential.accessKeyId);
  const expected = createHmac(
    "sha256",
    signingKey(secret, credential.date, credential.region, credential.service),
  )
    .update(policy)
    .digest("hex");
  if (!sameSignature(expected, signature)) throw signatureMismatch();
}
