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
  | "ListParts"
  | "PutBucketCors"
  | "GetBucketCors"
  | "DeleteBucketCors"
  | "PreflightCors"
  | "PutBucketTagging"
  | "GetBucketTagging"
  | "DeleteBucketTagging"
  | "PutBucketPolicy"
  | "GetBucketPolicy"
  | "DeleteBucketPolicy"
  | "PutBucketOwnershipControls"
  | "GetBucketOwnershipControls"
  | "DeleteBucketOwnershipControls"
  | "PutBucketLifecycleConfiguration"
  | "GetBucketLifecycleConfiguration"
  | "DeleteBucketLifecycle"
  | "PutObjectTagging"
  | "GetObjectTagging"
  | "DeleteObjectTagging"
  | "GetObjectAttributes"
  | "PostObject";

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
  if (method === "OPTIONS") return op("PreflightCors", undefined, address.key !== undefined);
  if (address.key === undefined) {
    if (unsupported) throw notImplemented(`bucket ?${unsupported}`);
    const configuration = bucketConfigurationOperation(method, query);
    if (configuration) return configuration;
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
        // Browser-form uploads: the form's policy document is the authorization, checked in the handler.
        return op("PostObject", undefined);
      default:
        throw methodNotAllowed(method, "BUCKET");
    }
  }
  if (unsupported) throw notImplemented(`object ?${unsupported}`);
  if (query.has("tagging")) {
    if (method === "PUT") return op("PutObjectTagging", versioned(query, "s3:PutObjectTagging"), true);
    if (method === "GET") return op("GetObjectTagging", versioned(query, "s3:GetObjectTagging"), true);
    if (method === "DELETE")
      return op("DeleteObjectTagging", versioned(query, "s3:DeleteObjectTagging"), true);
  }
  if (query.has("attributes") && method === "GET")
    return op("GetObjectAttributes", versioned(query, "s3:GetObjectAttributes"), true);
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

/** `s3:GetObjectTagging` → `s3:GetObjectVersionTagging` when a version is named, as IAM distinguishes them. */
function versioned(query: URLSearchParams, action: string): string {
  if (!query.has("versionId")) return action;
  return action.replace(/^s3:(\w+)Object(\w*)$/, "s3:$1ObjectVersion$2");
}

/** Bucket subresources kept as configuration: CORS, tagging, policy, ownership controls, lifecycle. */
const configurationOperations: Array<[string, Partial<Record<string, [OperationName, string]>>]> = [
  [
    "cors",
    {
      PUT: ["PutBucketCors", "s3:PutBucketCORS"],
      GET: ["GetBucketCors", "s3:GetBucketCORS"],
      DELETE: ["DeleteBucketCors", "s3:PutBucketCORS"],
    },
  ],
  [
    "tagging",
    {
      PUT: ["PutBucketTagging", "s3:PutBucketTagging"],
      GET: ["GetBucketTagging", "s3:GetBucketTagging"],
      DELETE: ["DeleteBucketTagging", "s3:PutBucketTagging"],
    },
  ],
  [
    "policy",
    {
      PUT: ["PutBucketPolicy", "s3:PutBucketPolicy"],
      GET: ["GetBucketPolicy", "s3:GetBucketPolicy"],
      DELETE: ["DeleteBucketPolicy", "s3:DeleteBucketPolicy"],
    },
  ],
  [
    "ownershipControls",
    {
      PUT: ["PutBucketOwnershipControls", "s3:PutBucketOwnershipControls"],
      GET: ["GetBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
      DELETE: ["DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"],
    },
  ],
  [
    "lifecycle",
    {
      PUT: ["PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"],
      GET: ["GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
      DELETE: ["DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"],
    },
  ],
];

function bucketConfigurationOperation(method: string, query: URLSearchParams): Operation | undefined {
  for (const [subresource, byMethod] of configurationOperations) {
    if (!query.has(subresource)) continue;
    const entry = byMethod[method];
    if (!entry) throw methodNotAllowed(method, "BUCKET");
    return op(entry[0], entry[1]);
  }
  return undefined;
}

function methodNotAllowed(method: string, resourceType: string): S3Error {
  return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {
    Method: method,
    ResourceType: resourceType,
  });
}
