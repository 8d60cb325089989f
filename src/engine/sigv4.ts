import type { IncomingHttpHeaders } from "node:http";

/** The parts of a SigV4 signature that routing and identity need; the signature itself is not verified (like LocalStack). */
export interface SigV4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  /** The signing name the scope names; none for SigV2, whose request the path routes (the fallback for a bucket's). */
  service?: string;
}

const credentialPattern = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/** Reads the credential scope from the `Authorization` header or a presigned URL's `X-Amz-Credential`. */
export function parseSigV4Scope(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): SigV4Scope | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = credentialPattern.exec(authorization);
    if (match)
      return {
        accessKeyId: match[1] ?? "",
        date: match[2] ?? "",
        region: match[3] ?? "",
        service: match[4] ?? "",
      };
    // SigV2-style `AWS AKID:signature` (old S3 clients): it names a key but no service.
    const v2 = /^AWS ([^:]+):/.exec(authorization);
    if (v2) return { accessKeyId: v2[1] ?? "", date: "", region: "" };
  }
  const credential = query.get("X-Amz-Credential");
  if (credential) {
    const [accessKeyId = "", date = "", region = "", service = ""] = credential.split("/");
    return { accessKeyId, date, region, service };
  }
  return undefined;
}
