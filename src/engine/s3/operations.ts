import type { IncomingHttpHeaders } from "node:http";
import type { S3Address } from "./addressing.ts";
import { notImplemented, S3Error } from "./errors.ts";

/** The S3 operations the engine serves. */
export type OperationName =
  | "ListBuckets"
  | "CreateBucket"
  | "HeadBucket"
  | "DeleteBucket"
  | "GetBucketLocation"
  | "PutPublicAccessBlock"
  | "GetPublicAccessBlock"
  | "DeletePublicAccessBlock"
  | "PutBucketEncryption"
  | "GetBucketEncryption"
  | "DeleteBucketEncryption"
  | "PutBucketNotificationConfiguration"
  | "GetBucketNotificationConfiguration"
  | "PutBucketVersioning"
  | "GetBucketVersioning"
  | "ListObjects"
  | "ListObjectsV2"
  | "ListObjectVersions"
  | "ListMultipartUploads"
  | "DeleteObjects"
  | "PutObject"
  | "CopyObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts";

/** An operation with the IAM action that guards it (undefined: checked per item inside the handler). */
export interface Operation {
  name: OperationName;
  action?: string;
  /** Whether the IAM resource is the object (`arn:aws:s3:::b/k`) rather than the bucket. */
  onObject: boolean;
}

const op = (name: OperationName, action: string | undefined, onObject = false): Operation => ({
  name,
  action,
  onObject,
});

/** Subresources we recognise but do not serve: NotImplemented rather than a silently wrong answer. */
const unsupportedSubresources = [
  "acl",
  "policy",
  "policyStatus",
  "tagging",
  "cors",
  "lifecycle",
  "website",
  "logging",
  "replication",
  "requestPayment",
  "accelerate",
  "analytics",
  "metrics",
  "inventory",
  "intelligent-tiering",
  "ownershipControls",
  "object-lock",
  "legal-hold",
  "retention",
  "torrent",
  "restore",
  "select",
  "attributes",
  "metadataTable",
  "session",
  "renameObject",
];

/**
 * Maps method, address and subresource query to an operation, as S3's REST API does.
 *
 * @example resolveOperation("GET", { bucket: "b", virtualHosted: false }, new URLSearchParams("list-type=2"), {})
 *   // { name: "ListObjectsV2", action: "s3:ListBucket", onObject: false }
 */
export function resolveOperation(
  method: string,
  address: S3Address,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
): Operation {
  const unsupported = unsupportedSubresources.find((name) => query.has(name));
  if (address.bucket === undefined) {
    if (method === "GET") return op("ListBuckets", "s3:ListAllMyBuckets");
    throw methodNotAllowed(method, "SERVICE");
  }
  if (address.key === undefined) {
    if (unsupported) throw notImplemented(`bucket ?${unsupported}`);
    switch (method) {
      case "PUT":
        if (query.has("publicAccessBlock"))
          return op("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock");
        if (query.has("encryption")) return op("PutBucketEncryption", "s3:PutEncryptionConfiguration");
        if (query.has("notification"))
          return op("PutBucketNotificationConfiguration", "s3:PutBucketNotification");
        if (query.has("versioning")) return op("PutBucketVersioning", "s3:PutBucketVersioning");
        return op("CreateBucket", "s3:CreateBucket");
      case "GET":
        if (query.has("location")) return op("GetBucketLocation", "s3:GetBucketLocation");
        if (query.has("publicAccessBlock"))
          return op("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock");
        if (query.has("encryption")) return op("GetBucketEncryption", "s3:GetEncryptionConfiguration");
        if (query.has("notification"))
          return op("GetBucketNotificationConfiguration", "s3:GetBucketNotification");
        if (query.has("versioning")) return op("GetBucketVersioning", "s3:GetBucketVersioning");
        if (query.has("uploads")) return op("ListMultipartUploads", "s3:ListBucketMultipartUploads");
        if (query.has("versions")) return op("ListObjectVersions", "s3:ListBucketVersions");
        if (query.get("list-type") === "2") return op("ListObjectsV2", "s3:ListBucket");
        return op("ListObjects", "s3:ListBucket");
      case "HEAD":
        return op("HeadBucket", "s3:ListBucket");
      case "DELETE":
        if (query.has("publicAccessBlock"))
          return op("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock");
        if (query.has("encryption")) return op("DeleteBucketEncryption", "s3:PutEncryptionConfiguration");
        return op("DeleteBucket", "s3:DeleteBucket");
      case "POST":
        if (query.has("delete")) return op("DeleteObjects", undefined);
        throw notImplemented("POST object uploads (browser forms)");
      default:
        throw methodNotAllowed(method, "BUCKET");
    }
  }
  if (unsupported) throw notImplemented(`object ?${unsupported}`);
  const isPart = query.has("uploadId") && query.has("partNumber");
  switch (method) {
    case "PUT":
      if (isPart) {
        return headers["x-amz-copy-source"] !== undefined
          ? op("UploadPartCopy", "s3:PutObject", true)
          : op("UploadPart", "s3:PutObject", true);
      }
      if (headers["x-amz-copy-source"] !== undefined) return op("CopyObject", "s3:PutObject", true);
      return op("PutObject", "s3:PutObject", true);
    case "GET":
      if (query.has("uploadId")) return op("ListParts", "s3:ListMultipartUploadParts", true);
      return op("GetObject", query.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject", true);
    case "HEAD":
      return op("HeadObject", query.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject", true);
    case "DELETE":
      if (query.has("uploadId")) return op("AbortMultipartUpload", "s3:AbortMultipartUpload", true);
      return op("DeleteObject", query.has("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject", true);
    case "POST":
      if (query.has("uploads")) return op("CreateMultipartUpload", "s3:PutObject", true);
      if (query.has("uploadId")) return op("CompleteMultipartUpload", "s3:PutObject", true);
      throw notImplemented("POST on an object without ?uploads or ?uploadId");
    default:
      throw methodNotAllowed(method, "OBJECT");
  }
}

function methodNotAllowed(method: string, resourceType: string): S3Error {
  return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {
    Method: method,
    ResourceType: resourceType,
  });
}
