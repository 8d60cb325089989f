import { s3Arn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { restXmlError } from "../service/index.ts";
import type { RequestHead, Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { authorizeS3, bucketPolicyDocument, injectedReadFault, s3RequestConditions } from "./access.ts";
import { resolveAddress } from "./addressing.ts";
import * as bucketConfig from "./bucket-config.ts";
import * as buckets from "./buckets.ts";
import * as copy from "./copy-object.ts";
import { corsResponseHeaders, s3CorsAllows } from "./cors.ts";
import { S3Error } from "./errors.ts";
import { Sequencer } from "./events.ts";
import * as lists from "./list-objects.ts";
import * as multipart from "./multipart.ts";
import * as multipartListing from "./multipart-listing.ts";
import { type LambdaNotification, lambdaNotifications } from "./notifications.ts";
import { createNotifiers, type NotificationTargets, S3EventNotifications } from "./notifiers/index.ts";
import * as subresources from "./object-subresources.ts";
import * as objects from "./objects.ts";
import { type OperationName, resolveOperation } from "./operations.ts";
import { postObject } from "./post-object.ts";
import { assertPresignedUrlValid } from "./presigned.ts";
import type { S3Call, S3Handler, S3Runtime } from "./runtime.ts";
import { verifySignature } from "./signature.ts";
import type { ObjectRecord } from "./storage/records.ts";
import { S3Store } from "./storage/store.ts";

export type { LambdaNotification } from "./notifications.ts";

/** An object as other parts of the engine and the dashboard see it (no HTTP involved). */
export interface S3ObjectSummary {
  bucket: string;
  key: string;
  size: number;
  /** MD5 hex (or `<hex>-<parts>`), without quotes. */
  eTag: string;
  /** ISO 8601. */
  lastModified: string;
  contentType: string;
  metadata: Record<string, string>;
  versionId?: string;
}

export interface S3BucketSummary {
  name: string;
  region: string;
  createdAt: string;
}

/** The S3 service plus a typed, in-process read API. */
export interface S3Service extends Service {
  /** The object's summary; undefined when the bucket or key does not exist. */
  headObject(bucket: string, key: string): S3ObjectSummary | undefined;
  /** Objects whose key starts with `prefix`, in S3 listing order; undefined when the bucket does not exist. */
  listObjects(bucket: string, prefix?: string): S3ObjectSummary[] | undefined;
  /** The object's bytes; undefined when it does not exist. */
  readObject(bucket: string, key: string): Promise<Buffer | undefined>;
  listBuckets(): S3BucketSummary[];
  /** The bucket's Lambda notification destinations (empty when none or no bucket). */
  getNotificationConfiguration(bucket: string): LambdaNotification[];
}

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
  GetObject: objects.getObject,
  HeadObject: objects.headObject,
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
  PostObject: postObject,
};

/** What S3 needs from the other services: the destinations its event notifications deliver to. */
export type S3Dependencies = NotificationTargets;

/**
 * Creates the engine's S3 (REST-XML, API 2006-03-01): path-style and virtual-hosted addressing, buckets and
 * their configuration, objects, multipart uploads, aws-chunked bodies and flexible checksums, IAM checks for
 * role callers, fault injection, `objectCreated` events once writes are durable, and the event notifications
 * that deliver them (one notifier per destination type, `notifiers/`).
 */
export async function createS3Service(
  context: EngineContext,
  options: EngineOptions,
  targets: S3Dependencies,
): Promise<S3Service> {
  const store = await S3Store.open(
    options.dataDir ?? context.dataDir,
    (message) => context.log(message),
    options.s3JournalCompactAfter !== undefined ? { compactAfter: options.s3JournalCompactAfter } : {},
  );
  const notifications = new S3EventNotifications({
    context,
    notifiers: createNotifiers(targets, {
      accountId: context.accountId,
      faults: context.faults,
      log: (message) => context.log(message),
      activity: (event) => context.events.emit("activity", event),
    }),
    configuration: (bucket) => store.buckets.get(bucket)?.configuration.notification,
  });
  const runtime: S3Runtime = {
    context,
    store,
    sequencer: new Sequencer(store.maxSequencer),
    notifications,
    verifySignatures: options.verifySignatures === true,
  };

  const summary = (bucket: string, object: ObjectRecord): S3ObjectSummary => {
    const result: S3ObjectSummary = {
      bucket,
      key: object.key,
      size: object.size,
      eTag: object.etag,
      lastModified: object.lastModified,
      contentType: object.contentType,
      metadata: { ...object.metadata },
    };
    if (object.versionId !== undefined) result.versionId = object.versionId;
    return result;
  };

  return {
    signingName: "s3",
    handle: (request) => handle(runtime, request),
    allowsCrossOrigin: (head, origin) => bucketCorsAllows(runtime, head, origin),
    headObject(bucket, key) {
      const object = store.buckets.get(bucket)?.objects.get(key);
      return object ? summary(bucket, object) : undefined;
    },
    listObjects(bucketName, prefix = "") {
      const bucket = store.buckets.get(bucketName);
      if (!bucket) return undefined;
      return bucket
        .sortedKeys()
        .filter((key) => key.startsWith(prefix))
        .map((key) => summary(bucketName, bucket.objects.get(key) as ObjectRecord));
    },
    async readObject(bucket, key) {
      const object = store.buckets.get(bucket)?.objects.get(key);
      return object ? store.blobs.readAll(object.blob, 0, object.size - 1) : undefined;
    },
    listBuckets() {
      return [...store.buckets.values()].map(({ record }) => ({ ...record }));
    },
    getNotificationConfiguration(bucket) {
      return lambdaNotifications(store.buckets.get(bucket)?.configuration.notification);
    },
    async close() {
      notifications.close();
      await store.close();
    },
  };
}

/**
 * Whether the bucket's own CORS rules let a page at `origin` make this request, for the edge, which refuses other
 * pages. A preflight is judged on the method and headers it announces; an actual request must also be signed
 * (SigV4 header or query), as a browser app's SDK or presigned request is: an unsigned request is the
 * engine's administrator, and a CORS rule is no grant of that to every page the rule names.
 */
function bucketCorsAllows(runtime: S3Runtime, head: RequestHead, origin: string): boolean {
  let bucket: string | undefined;
  try {
    bucket = resolveAddress(head.host, head.rawPath).bucket;
  } catch {
    return false;
  }
  const rules = bucket === undefined ? undefined : runtime.store.buckets.get(bucket)?.configuration.cors;
  if (!rules) return false;
  if (head.method === "OPTIONS") {
    const method = head.headers["access-control-request-method"];
    const requested = head.headers["access-control-request-headers"];
    const names =
      typeof requested === "string"
        ? requested
            .split(",")
            .map((name) => name.trim())
            .filter(Boolean)
        : [];
    return typeof method === "string" && s3CorsAllows(rules, origin, method, names) !== undefined;
  }
  const signed =
    /^AWS4-HMAC-SHA256 /.test(String(head.headers.authorization ?? "")) || head.query.has("X-Amz-Signature");
  return signed && s3CorsAllows(rules, origin, head.method) !== undefined;
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

/** Routes, authorizes and runs one request; every failure becomes S3's XML error shape. */
async function handle(runtime: S3Runtime, request: ServiceRequest): Promise<ServiceResponse> {
  const isHead = request.method === "HEAD";
  let resource = request.rawPath;
  const baseHeaders = { "x-amz-request-id": request.requestId, "x-amz-id-2": request.requestId };
  try {
    const address = resolveAddress(request.host, request.rawPath);
    if (address.bucket !== undefined)
      resource = `/${address.bucket}${address.key === undefined ? "" : `/${address.key}`}`;
    assertPresignedUrlValid(request.query, Date.now());
    const operation = resolveOperation(request.method, address, request.query, request.headers);
    // Preflights are never signed; form uploads are signed in their policy, checked by the handler.
    if (runtime.verifySignatures && operation.name !== "PreflightCors" && operation.name !== "PostObject")
      verifySignature(request, (key) => runtime.context.credentials.secretOf(key));
    const call: S3Call = { request, bucket: address.bucket ?? "", key: address.key ?? "" };
    const bucketState = address.bucket === undefined ? undefined : runtime.store.buckets.get(address.bucket);
    if (operation.action) {
      const arn = s3Arn(address.bucket, operation.onObject ? address.key : undefined);
      authorizeS3(
        runtime.context,
        request.caller,
        operation.action,
        arn,
        s3RequestConditions(request.headers, request.query),
        bucketPolicyDocument(bucketState?.configuration.policy),
      );
    }
    if (request.caller.role && (operation.name === "GetObject" || operation.name === "HeadObject")) {
      const fault = injectedReadFault(runtime.context, request.caller);
      if (fault) throw fault;
    }
    const response = await handlers[operation.name](runtime, call);
    response.headers = {
      ...baseHeaders,
      ...corsHeadersFor(runtime, request, address.bucket),
      ...response.headers,
    };
    return response;
  } catch (error) {
    if (error instanceof S3Error)
      return restXmlError(error, request.requestId, {
        details: { ...error.details, Resource: resource },
        isHead,
      });
    runtime.context.log(
      `s3: ${request.method} ${request.rawPath} failed: ${error instanceof Error ? error.stack : String(error)}`,
    );
    const internal = new S3Error(
      500,
      "InternalError",
      "We encountered an internal error. Please try again.",
      {},
      { cause: error },
    );
    return restXmlError(internal, request.requestId, { details: { Resource: resource }, isHead });
  }
}
