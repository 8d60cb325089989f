import { s3Arn } from "../arn.ts";
import { type AnyOperation, respondWith, type ServiceDeclaration } from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";
import { bucketResourcePolicy, injectedReadFault, s3RequestConditions } from "./access.ts";
import * as acl from "./acl-operations.ts";
import { resolveAddress } from "./addressing.ts";
import * as bucketConfig from "./bucket-config.ts";
import * as buckets from "./buckets.ts";
import * as copy from "./copy-object.ts";
import { corsResponseHeaders, s3CorsAllows } from "./cors.ts";
import { S3Error } from "./errors.ts";
import * as lists from "./list-objects.ts";
import { assertExpectedOwners, refuseUnservedMembers, s3OperationMembers } from "./members.ts";
import * as multipart from "./multipart.ts";
import * as multipartListing from "./multipart-listing.ts";
import * as subresources from "./object-subresources.ts";
import * as objects from "./objects.ts";
import { type OperationName, operationAccess, operationAction, resolveOperation } from "./operations.ts";
import { readPayload } from "./payload.ts";
import { postObject } from "./post-object.ts";
import { assertPresignedUrlValid } from "./presigned.ts";
import type { S3Handler, S3Runtime } from "./runtime.ts";
import { s3Section } from "./section.ts";
import { verifySignature } from "./signature.ts";

/**
 * Reads a role's credentials make (a Lambda function's) may meet an injected fault, once they are authorized.
 * Administrators' reads never do.
 */
const withReadFault =
  (handler: S3Handler): S3Handler =>
  (runtime, call) => {
    const fault = injectedReadFault(runtime.context, call.request.caller);
    if (fault) throw fault;
    return handler(runtime, call);
  };

/** Each operation's handler; its IAM action and resource kind are `operationAccess`'s (operations.ts). */
const handlers: Record<OperationName, S3Handler> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  HeadBucket: buckets.headBucket,
  DeleteBucket: buckets.deleteBucket,
  GetBucketLocation: buckets.getBucketLocation,
  PutPublicAccessBlock: buckets.putPublicAccessBlock,
  GetPublicAccessBlock: buckets.getPublicAccessBlock,
  DeletePublicAccessBlock: buckets.deletePublicAccessBlock,
  PutBucketEncryption: buckets.putBucketEncryption,
  GetBucketEncryption: buckets.getBucketEncryption,
  DeleteBucketEncryption: buckets.deleteBucketEncryption,
  PutBucketNotificationConfiguration: buckets.putBucketNotificationConfiguration,
  GetBucketNotificationConfiguration: buckets.getBucketNotificationConfiguration,
  PutBucketVersioning: buckets.putBucketVersioning,
  GetBucketVersioning: buckets.getBucketVersioning,
  ListObjects: lists.listObjects,
  ListObjectsV2: lists.listObjectsV2,
  ListObjectVersions: lists.listObjectVersions,
  ListMultipartUploads: multipartListing.listMultipartUploads,
  DeleteObjects: objects.deleteObjects,
  PutObject: objects.putObject,
  CopyObject: copy.copyObject,
  GetObject: withReadFault(objects.getObject),
  HeadObject: withReadFault(objects.headObject),
  DeleteObject: objects.deleteObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipartListing.listParts,
  PutBucketCors: bucketConfig.putBucketCors,
  GetBucketCors: bucketConfig.getBucketCors,
  DeleteBucketCors: bucketConfig.deleteBucketCors,
  PreflightCors: bucketConfig.preflight,
  PutBucketTagging: bucketConfig.putBucketTagging,
  GetBucketTagging: bucketConfig.getBucketTagging,
  DeleteBucketTagging: bucketConfig.deleteBucketTagging,
  PutBucketPolicy: bucketConfig.putBucketPolicy,
  GetBucketPolicy: bucketConfig.getBucketPolicy,
  DeleteBucketPolicy: bucketConfig.deleteBucketPolicy,
  PutBucketOwnershipControls: bucketConfig.putBucketOwnershipControls,
  GetBucketOwnershipControls: bucketConfig.getBucketOwnershipControls,
  DeleteBucketOwnershipControls: bucketConfig.deleteBucketOwnershipControls,
  PutBucketLifecycleConfiguration: bucketConfig.putBucketLifecycle,
  GetBucketLifecycleConfiguration: bucketConfig.getBucketLifecycle,
  DeleteBucketLifecycle: bucketConfig.deleteBucketLifecycle,
  PutObjectTagging: subresources.putObjectTagging,
  GetObjectTagging: subresources.getObjectTagging,
  DeleteObjectTagging: subresources.deleteObjectTagging,
  GetObjectAttributes: subresources.getObjectAttributes,
  GetBucketAcl: acl.getBucketAcl,
  PutBucketAcl: acl.putBucketAcl,
  GetObjectAcl: acl.getObjectAcl,
  PutObjectAcl: acl.putObjectAcl,
  PostObject: postObject,
};

/**
 * One declared S3 operation: its action from `operationAccess` (the version action when `versionId` names one;
 * none for the operations that check per item or by a form's policy), the bucket's or the object's ARN with
 * S3's condition keys, and the handler, whose answer gets S3's request-id headers and the bucket's CORS headers.
 */
function s3Operation(runtime: S3Runtime, name: OperationName, handler: S3Handler): AnyOperation {
  const onObject = operationAccess[name].onObject === true;
  return {
    name,
    action: (_input: unknown, call) => operationAction(name, call.request.query) ?? null,
    resource: (_input: unknown, { request, labels }) => ({
      resource: s3Arn(labels.Bucket, onObject ? labels.Key : undefined),
      conditions: s3RequestConditions(request.headers, request.query),
    }),
    async handler(_input: unknown, { request, labels }) {
      refuseUnservedMembers(name, request.headers, request.query);
      assertExpectedOwners(request.headers, runtime.context.accountId);
      // A configuration body's Content-MD5 and flexible checksum are S3's to verify (BadDigest, InvalidRequest).
      if (verifiedBody(name) && request.bodyStream === undefined) readPayload(request.headers, request.body);
      const response = await handler(runtime, {
        request,
        bucket: labels.Bucket ?? "",
        key: labels.Key ?? "",
      });
      response.headers = {
        "x-amz-request-id": request.requestId,
        "x-amz-id-2": request.requestId,
        ...corsHeadersFor(runtime, request, labels.Bucket),
        ...response.headers,
      };
      return respondWith(response);
    },
  };
}

/** Bucket configuration writes: their (buffered) XML bodies carry the Content-MD5 / checksum S3 verifies. */
const verifiedBody = (name: OperationName) =>
  (name.startsWith("PutBucket") || name === "PutPublicAccessBlock") &&
  s3OperationMembers[name]?.handled.includes("ChecksumAlgorithm") === true;

/**
 * S3 (REST-XML, API 2006-03-01) as a declaration: `resolve` finds the operation from the address and the
 * sub-resource query (after refusing an expired presigned URL, which S3 answers first), `authenticate`
 * verifies SigV4 signatures when the engine is told to (not preflights, never signed, nor form uploads, signed
 * in their policy), `resourcePolicy` hands the dispatcher the bucket policy (weighed with the caller's identity
 * policies in policy/authorize.ts), and errors carry the request's `Resource`.
 */
export function s3Declaration(runtime: S3Runtime): ServiceDeclaration {
  return {
    section: s3Section,
    protocols: {
      restXml: {
        errorDetails: (error, request) => ({
          ...(error instanceof S3Error ? error.details : {}),
          Resource: resourceOf(request),
        }),
      },
    },
    operations: (Object.keys(handlers) as OperationName[]).map((name) =>
      s3Operation(runtime, name, handlers[name]),
    ),
    resolve(request) {
      const address = resolveAddress(request.host, request.rawPath);
      // A preflight is answered from the bucket's CORS rules alone; its URL's signature is the real request's.
      if (request.method !== "OPTIONS") assertPresignedUrlValid(request.query, Date.now());
      const { name } = resolveOperation(request.method, address, request.query, request.headers);
      const labels: Record<string, string> = {};
      if (address.bucket !== undefined) labels.Bucket = address.bucket;
      if (address.key !== undefined) labels.Key = address.key;
      return { name, labels };
    },
    authenticate(name, { request }) {
      if (runtime.verifySignatures && name !== "PreflightCors" && name !== "PostObject")
        verifySignature(request, (key) => runtime.context.credentials.secretOf(key));
    },
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

/** CORS headers for a browser's actual request (one with `Origin`) that a bucket CORS rule allows. */
function corsHeadersFor(
  runtime: S3Runtime,
  request: ServiceRequest,
  bucket: string | undefined,
): Record<string, string> {
  const origin = request.headers.origin;
  if (typeof origin !== "string" || bucket === undefined || request.method === "OPTIONS") return {};
  const rule = s3CorsAllows(runtime.store.buckets.get(bucket)?.configuration.cors, origin, request.method);
  return rule ? corsResponseHeaders(rule, origin, [], false) : {};
}
