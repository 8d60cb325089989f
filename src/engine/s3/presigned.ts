import { S3Error } from "./errors.ts";

/** The longest validity SigV4 allows a presigned URL: seven days. */
const MAX_PRESIGNED_SECONDS = 604_800;

const authorizationQueryError = (message: string) =>
  new S3Error(400, "AuthorizationQueryParametersError", message);

/** `20260101T120000Z` → epoch milliseconds; undefined when malformed. */
function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

/**
 * Checks a presigned URL's validity window as S3 does: SigV4 (`X-Amz-Date` + `X-Amz-Expires`, at most seven
 * days) or SigV2 (`Expires`, epoch seconds). An expired URL is 403 AccessDenied "Request has expired".
 * Requests that are not presigned pass.
 */
export function assertPresignedUrlValid(query: URLSearchParams, now: number): void {
  if (query.get("X-Amz-Algorithm") !== null || query.get("X-Amz-Credential") !== null) {
    const rawExpires = query.get("X-Amz-Expires");
    const rawDate = query.get("X-Amz-Date");
    if (rawExpires === null || rawDate === null) {
      throw authorizationQueryError(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    }
    if (!/^\d+$/.test(rawExpires)) throw authorizationQueryError("X-Amz-Expires should be a number");
    const seconds = Number(rawExpires);
    if (seconds > MAX_PRESIGNED_SECONDS) {
      throw authorizationQueryError(
        "X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds",
      );
    }
    const signedAt = parseAmzDate(rawDate);
    if (signedAt === undefined) {
      throw authorizationQueryError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
    }
    const expires = signedAt + seconds * 1000;
    if (now > expires) {
      throw new S3Error(403, "AccessDenied", "Request has expired", {
        "X-Amz-Expires": rawExpires,
        Expires: new Date(expires).toISOString(),
        ServerTime: new Date(now).toISOString(),
      });
    }
    return;
  }
  const v2Expires = query.get("Expires");
  if (v2Expires !== null && query.get("AWSAccessKeyId") !== null && query.get("Signature") !== null) {
    const expires = Number(v2Expires) * 1000;
    if (!Number.isFinite(expires) || now > expires) {
      throw new S3Error(403, "AccessDenied", "Request has expired", {
        Expires: Number.isFinite(expires) ? new Date(expires).toISOString() : v2Expires,
        ServerTime: new Date(now).toISOString(),
      });
    }
  }
}
