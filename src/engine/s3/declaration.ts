import type { OperationCall, ServiceDeclaration } from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";
import { bucketResourcePolicy } from "./access.ts";
import { decodeKey, resolveAddress, routePathOf } from "./addressing.ts";
import { bucketOperations } from "./bucket-operations.ts";
import { notImplemented, S3Error } from "./errors.ts";
import { objectOperations } from "./object-operations.ts";
import { assertPresignedUrlValid } from "./presigned.ts";
import type { S3Runtime } from "./runtime.ts";
import { s3Section } from "./section.ts";
import { verifySignature } from "./signature.ts";

/** Sub-resources S3 has that the engine does not serve: NotImplemented rather than a silently wrong answer. */
const unsupportedSubresources = new Set([
  "policyStatus",
  "website",
  "logging",
  "replication",
  "requestPayment",
  "accelerate",
  "analytics",
  "metrics",
  "inventory",
  "intelligent-tiering",
  "object-lock",
  "legal-hold",
  "retention",
  "torrent",
  "restore",
  "select",
  "metadataTable",
  "session",
  "renameObject",
]);

/**
 * S3 (REST-XML, API 2006-03-01) as a declaration: its operations (bucket-operations.ts, object-operations.ts),
 * each with its declared route; `resolve` only addresses the request (a virtual-hosted bucket joins the path,
 * after refusing an expired presigned URL, which S3 answers first, and a sub-resource the engine does not
 * serve), then the declared routes decide; `authenticate` verifies SigV4 signatures when the engine is told to
 * (not preflights, never signed, nor form uploads, signed in their policy); `resourcePolicy` hands the dispatcher
 * the bucket policy (weighed with the caller's identity policies in policy/authorize.ts); errors carry the
 * request's `Resource`.
 */
export function s3Declaration(runtime: S3Runtime): ServiceDeclaration {
  return {
    section: s3Section,
    protocolHooks: {
      restXmlErrorDetails: (error, request) => ({
        ...(error instanceof S3Error ? error.details : {}),
        Resource: resourceOf(request),
      }),
    },
    operations: s3Operations(runtime),
    resolve(request) {
      const path = routePathOf(request);
      // A preflight is answered from the bucket's CORS rules alone; its URL's signature is the real request's.
      if (request.method === "OPTIONS" || path === "/") return path;
      assertPresignedUrlValid(request.query, Date.now());
      for (const key of request.query.keys())
        if (unsupportedSubresources.has(key))
          throw notImplemented(`${path.indexOf("/", 1) === -1 ? "bucket" : "object"} ?${key}`);
      return path;
    },
    // A key is decoded once, as UTF-8, `+` kept; a malformed escape is InvalidURI (addressing.ts).
    decodeLabel: decodeKey,
    refusedMember: (member, wire) =>
      notImplemented(`${wire.startsWith("?") ? wire : `header ${wire}`} (${member})`),
    unknownOperation(_name, { request }) {
      const path = routePathOf(request);
      const onObject = path.indexOf("/", 1) !== -1;
      if (request.method === "POST" && onObject)
        return notImplemented("POST on an object without ?uploads or ?uploadId");
      return new S3Error(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        {
          Method: request.method,
          ResourceType: path === "/" ? "SERVICE" : onObject ? "OBJECT" : "BUCKET",
        },
      );
    },
    // Only when told to verify: otherwise no request pays for the call.
    ...(runtime.verifySignatures
      ? {
          authenticate(name: string, { request }: OperationCall) {
            if (name !== "PreflightCors" && name !== "PostObject")
              verifySignature(request, (key) => runtime.context.credentials.secretOf(key));
          },
        }
      : {}),
    resourcePolicy(_resource, { labels }) {
      const bucket = labels.Bucket === undefined ? undefined : runtime.store.buckets.get(labels.Bucket);
      return bucketResourcePolicy(runtime.context.accountId, bucket?.configuration);
    },
    unexpectedError(error, request) {
      runtime.context.log(
        `s3: ${request.method} ${request.rawPath} failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      return new S3Error(
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
        {},
        { cause: error },
      );
    },
  };
}

/** Every S3 operation, as declared: the service's and buckets' (bucket-operations.ts), the objects'. */
export function s3Operations(runtime: S3Runtime) {
  return [...bucketOperations(runtime), ...objectOperations(runtime)];
}

/** The `Resource` of an S3 error: `/<bucket>[/<key>]`, or the raw path when it names no bucket. */
function resourceOf(request: ServiceRequest): string {
  try {
    const { bucket, key } = resolveAddress(request.host, request.rawPath);
    if (bucket !== undefined) return `/${bucket}${key === undefined ? "" : `/${key}`}`;
  } catch {
    // an unparseable address: the raw path is all there is
  }
  return request.rawPath;
}
