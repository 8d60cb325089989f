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
  | "GetBucketAcl"
  | "PutBucketAcl"
  | "GetObjectAcl"
  | "PutObjectAcl"
  | "PostObject";

/** An operation with the IAM action that guards it (undefined: checked per item inside the handler). */
export interface Operation {
  name: OperationName;
  action?: string;
  /** Whether the IAM resource is the object (`arn:aws:s3:::b/k`) rather than the bucket. */
  onObject: boolean;
}

/**
 * What each operation needs, the one table of S3's authorization: its IAM action (none: checked per item by the
 * handler, or by a form's policy), whether the resource is the object, and whether naming a version changes the
 * action (`s3:GetObject` → `s3:GetObjectVersion`, `s3:GetObjectTagging` → `s3:GetObjectVersionTagging`).
 */
interface Access {
  action?: string;
  onObject?: true;
  versioned?: true;
}
const bucket = (action: string): Access => ({ action });
const object = (action: string, versioned?: true): Access => ({
  action,
  onObject: true,
  ...(versioned ? { versioned } : {}),
});

export const operationAccess: Record<OperationName, Access> = {
  ListBuckets: bucket("s3:ListAllMyBuckets"),
  CreateBucket: bucket("s3:CreateBucket"),
  HeadBucket: bucket("s3:ListBucket"),
  DeleteBucket: bucket("s3:DeleteBucket"),
  GetBucketLocation: bucket("s3:GetBucketLocation"),
  PutPublicAccessBlock: bucket("s3:PutBucketPublicAccessBlock"),
  GetPublicAccessBlock: bucket("s3:GetBucketPublicAccessBlock"),
  DeletePublicAccessBlock: bucket("s3:PutBucketPublicAccessBlock"),
  PutBucketEncryption: bucket("s3:PutEncryptionConfiguration"),
  GetBucketEncryption: bucket("s3:GetEncryptionConfiguration"),
  DeleteBucketEncryption: bucket("s3:PutEncryptionConfiguration"),
  PutBucketNotificationConfiguration: bucket("s3:PutBucketNotification"),
  GetBucketNotificationConfiguration: bucket("s3:GetBucketNotification"),
  PutBucketVersioning: bucket("s3:PutBucketVersioning"),
  GetBucketVersioning: bucket("s3:GetBucketVersioning"),
  ListObjects: bucket("s3:ListBucket"),
  ListObjectsV2: bucket("s3:ListBucket"),
  ListObjectVersions: bucket("s3:ListBucketVersions"),
  ListMultipartUploads: bucket("s3:ListBucketMultipartUploads"),
  // Each key is checked as s3:DeleteObject by the handler.
  DeleteObjects: {},
  PutObject: object("s3:PutObject"),
  CopyObject: object("s3:PutObject"),
  GetObject: object("s3:GetObject", true),
  HeadObject: object("s3:GetObject", true),
  DeleteObject: object("s3:DeleteObject", true),
  CreateMultipartUpload: object("s3:PutObject"),
  UploadPart: object("s3:PutObject"),
  UploadPartCopy: object("s3:PutObject"),
  CompleteMultipartUpload: object("s3:PutObject"),
  AbortMultipartUpload: object("s3:AbortMultipartUpload"),
  ListParts: object("s3:ListMultipartUploadParts"),
  PutBucketCors: bucket("s3:PutBucketCORS"),
  GetBucketCors: bucket("s3:GetBucketCORS"),
  DeleteBucketCors: bucket("s3:PutBucketCORS"),
  // Preflights are answered from the bucket's CORS rules, which are the user's to set.
  PreflightCors: {},
  PutBucketTagging: bucket("s3:PutBucketTagging"),
  GetBucketTagging: bucket("s3:GetBucketTagging"),
  DeleteBucketTagging: bucket("s3:PutBucketTagging"),
  PutBucketPolicy: bucket("s3:PutBucketPolicy"),
  GetBucketPolicy: bucket("s3:GetBucketPolicy"),
  DeleteBucketPolicy: bucket("s3:DeleteBucketPolicy"),
  PutBucketOwnershipControls: bucket("s3:PutBucketOwnershipControls"),
  GetBucketOwnershipControls: bucket("s3:GetBucketOwnershipControls"),
  DeleteBucketOwnershipControls: bucket("s3:PutBucketOwnershipControls"),
  PutBucketLifecycleConfiguration: bucket("s3:PutLifecycleConfiguration"),
  GetBucketLifecycleConfiguration: bucket("s3:GetLifecycleConfiguration"),
  DeleteBucketLifecycle: bucket("s3:PutLifecycleConfiguration"),
  PutObjectTagging: object("s3:PutObjectTagging", true),
  GetObjectTagging: object("s3:GetObjectTagging", true),
  DeleteObjectTagging: object("s3:DeleteObjectTagging", true),
  GetObjectAttributes: object("s3:GetObjectAttributes", true),
  GetBucketAcl: bucket("s3:GetBucketAcl"),
  PutBucketAcl: bucket("s3:PutBucketAcl"),
  GetObjectAcl: object("s3:GetObjectAcl", true),
  PutObjectAcl: object("s3:PutObjectAcl", true),
  // Browser-form uploads: the form's policy document is the authorization, checked in the handler.
  PostObject: {},
};

/** The IAM action an operation needs for this request's query (a `versionId` may change it); none when unchecked. */
export function operationAction(name: OperationName, query: URLSearchParams): string | undefined {
  const access = operationAccess[name];
  return access.action !== undefined && access.versioned && query.has("versionId")
    ? versioned(access.action)
    : access.action;
}

/** The operation with its action and resource kind from the table. */
function op(name: OperationName, query: URLSearchParams): Operation {
  const action = operationAction(name, query);
  return {
    name,
    onObject: operationAccess[name].onObject === true,
    ...(action === undefined ? {} : { action }),
  };
}

/** Subresources we recognise but do not serve: NotImplemented rather than a silently wrong answer. */
const unsupportedSubresources = [
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
    if (method === "GET") return op("ListBuckets", query);
    throw methodNotAllowed(method, "SERVICE");
  }
  if (method === "OPTIONS") return op("PreflightCors", query);
  if (address.key === undefined) {
    if (unsupported) throw notImplemented(`bucket ?${unsupported}`);
    const configuration = bucketConfigurationOperation(method, query);
    if (configuration) return configuration;
    switch (method) {
      case "PUT":
        if (query.has("publicAccessBlock")) return op("PutPublicAccessBlock", query);
        if (query.has("encryption")) return op("PutBucketEncryption", query);
        if (query.has("notification")) return op("PutBucketNotificationConfiguration", query);
        if (query.has("versioning")) return op("PutBucketVersioning", query);
        return op("CreateBucket", query);
      case "GET":
        if (query.has("location")) return op("GetBucketLocation", query);
        if (query.has("publicAccessBlock")) return op("GetPublicAccessBlock", query);
        if (query.has("encryption")) return op("GetBucketEncryption", query);
        if (query.has("notification")) return op("GetBucketNotificationConfiguration", query);
        if (query.has("versioning")) return op("GetBucketVersioning", query);
        if (query.has("uploads")) return op("ListMultipartUploads", query);
        if (query.has("versions")) return op("ListObjectVersions", query);
        if (query.get("list-type") === "2") return op("ListObjectsV2", query);
        return op("ListObjects", query);
      case "HEAD":
        return op("HeadBucket", query);
      case "DELETE":
        if (query.has("publicAccessBlock")) return op("DeletePublicAccessBlock", query);
        if (query.has("encryption")) return op("DeleteBucketEncryption", query);
        return op("DeleteBucket", query);
      case "POST":
        if (query.has("delete")) return op("DeleteObjects", query);
        // Browser-form uploads: the form's policy document is the authorization, checked in the handler.
        return op("PostObject", query);
      default:
        throw methodNotAllowed(method, "BUCKET");
    }
  }
  if (unsupported) throw notImplemented(`object ?${unsupported}`);
  if (query.has("acl")) {
    if (method === "PUT") return op("PutObjectAcl", query);
    if (method === "GET") return op("GetObjectAcl", query);
    throw methodNotAllowed(method, "OBJECT");
  }
  if (query.has("tagging")) {
    if (method === "PUT") return op("PutObjectTagging", query);
    if (method === "GET") return op("GetObjectTagging", query);
    if (method === "DELETE") return op("DeleteObjectTagging", query);
  }
  if (query.has("attributes") && method === "GET") return op("GetObjectAttributes", query);
  const isPart = query.has("uploadId") && query.has("partNumber");
  switch (method) {
    case "PUT":
      if (isPart) {
        return headers["x-amz-copy-source"] !== undefined
          ? op("UploadPartCopy", query)
          : op("UploadPart", query);
      }
      if (headers["x-amz-copy-source"] !== undefined) return op("CopyObject", query);
      return op("PutObject", query);
    case "GET":
      if (query.has("uploadId")) return op("ListParts", query);
      return op("GetObject", query);
    case "HEAD":
      return op("HeadObject", query);
    case "DELETE":
      if (query.has("uploadId")) return op("AbortMultipartUpload", query);
      return op("DeleteObject", query);
    case "POST":
      if (query.has("uploads")) return op("CreateMultipartUpload", query);
      if (query.has("uploadId")) return op("CompleteMultipartUpload", query);
      throw notImplemented("POST on an object without ?uploads or ?uploadId");
    default:
      throw methodNotAllowed(method, "OBJECT");
  }
}

/** `s3:GetObjectTagging` → `s3:GetObjectVersionTagging`: IAM tells version calls apart. */
function versioned(action: string): string {
  return action.replace(/^s3:(\w+)Object(\w*)$/, "s3:$1ObjectVersion$2");
}

/** Bucket subresources kept as configuration: ACL, CORS, tagging, policy, ownership controls, lifecycle. */
const configurationOperations: Array<[string, Partial<Record<string, OperationName>>]> = [
  ["acl", { PUT: "PutBucketAcl", GET: "GetBucketAcl" }],
  [
    "cors",
    {
      PUT: "PutBucketCors",
      GET: "GetBucketCors",
      DELETE: "DeleteBucketCors",
    },
  ],
  [
    "tagging",
    {
      PUT: "PutBucketTagging",
      GET: "GetBucketTagging",
      DELETE: "DeleteBucketTagging",
    },
  ],
  [
    "policy",
    {
      PUT: "PutBucketPolicy",
      GET: "GetBucketPolicy",
      DELETE: "DeleteBucketPolicy",
    },
  ],
  [
    "ownershipControls",
    {
      PUT: "PutBucketOwnershipControls",
      GET: "GetBucketOwnershipControls",
      DELETE: "DeleteBucketOwnershipControls",
    },
  ],
  [
    "lifecycle",
    {
      PUT: "PutBucketLifecycleConfiguration",
      GET: "GetBucketLifecycleConfiguration",
      DELETE: "DeleteBucketLifecycle",
    },
  ],
];

function bucketConfigurationOperation(method: string, query: URLSearchParams): Operation | undefined {
  for (const [subresource, byMethod] of configurationOperations) {
    if (!query.has(subresource)) continue;
    const entry = byMethod[method];
    if (!entry) throw methodNotAllowed(method, "BUCKET");
    return op(entry, query);
  }
  return undefined;
}

function methodNotAllowed(method: string, resourceType: string): S3Error {
  return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {
    Method: method,
    ResourceType: resourceType,
  });
}
