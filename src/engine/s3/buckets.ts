import { headerValue } from "../headers.ts";
import { aclRequestFromHeaders, decideAclWrite, ownershipFromHeader } from "./acl.ts";
import { isValidBucketName } from "./addressing.ts";
import { invalidArgument, malformedXml, notImplemented, S3Error } from "./errors.ts";
import { decodeContinuationToken, encodeContinuationToken } from "./listing.ts";
import { parseNotificationConfiguration, renderNotificationConfiguration } from "./notifications.ts";
import {
  emptyResponse,
  OWNER,
  requireBucket,
  type S3Call,
  type S3Handler,
  type S3Runtime,
  xmlResponse,
} from "./runtime.ts";
import { refuseKms } from "./sse.ts";
import type {
  BucketConfiguration,
  EncryptionRule,
  PublicAccessBlockConfiguration,
} from "./storage/records.ts";
import { parseRequestXml, xmlChild, xmlChildren, xmlText } from "./xml.ts";

/** ListBuckets, with the optional `prefix` filter and `max-buckets` / `continuation-token` paging. */
export const listBuckets: S3Handler = async (runtime, call) => {
  const query = call.request.query;
  const prefix = query.get("prefix") ?? "";
  const rawMax = query.get("max-buckets");
  let maxBuckets = 10_000;
  if (rawMax !== null) {
    if (!/^\d+$/.test(rawMax) || Number(rawMax) < 1 || Number(rawMax) > 10_000) {
      throw invalidArgument(
        "Argument max-buckets must be an integer between 1 and 10000.",
        "max-buckets",
        rawMax,
      );
    }
    maxBuckets = Number(rawMax);
  }
  const token = query.get("continuation-token");
  let after: string | undefined;
  if (token !== null) {
    after = decodeContinuationToken(token);
    if (after === undefined) {
      throw invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    }
  }
  const region = query.get("bucket-region");
  const matching = [...runtime.store.buckets.values()]
    .filter((bucket) => bucket.name.startsWith(prefix) && (after === undefined || bucket.name > after))
    .filter((bucket) => region === null || bucket.record.region === region)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = matching.slice(0, maxBuckets);
  const last = page[page.length - 1];
  return xmlResponse("ListAllMyBucketsResult", {
    Owner: { ...OWNER },
    Buckets: {
      Bucket: page.map((bucket) => ({
        Name: bucket.name,
        CreationDate: bucket.record.createdAt,
        BucketRegion: bucket.record.region,
      })),
    },
    ContinuationToken: matching.length > page.length && last ? encodeContinuationToken(last.name) : undefined,
    Prefix: query.has("prefix") ? prefix : undefined,
  });
};

/**
 * CreateBucket. Re-creating your own bucket is 200 in us-east-1 (S3's legacy behaviour) and
 * BucketAlreadyOwnedByYou elsewhere.
 */
export const createBucket: S3Handler = async (runtime, call) => {
  const name = call.bucket;
  if (!isValidBucketName(name)) {
    throw new S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", { BucketName: name });
  }
  // Object Lock is not emulated: a bucket asking for it is refused rather than created without it.
  if (headerValue(call.request.headers, "x-amz-bucket-object-lock-enabled")?.toLowerCase() === "true")
    throw notImplemented(
      "Object Lock (x-amz-bucket-object-lock-enabled); the engine does not emulate Object Lock",
    );
  let region = call.request.region;
  if (call.request.body.length > 0) {
    const document = parseRequestXml(call.request.body);
    const configuration = document.CreateBucketConfiguration;
    if (configuration === undefined) throw malformedXml();
    const constraint = xmlText(configuration, "LocationConstraint")?.trim();
    if (constraint) region = constraint === "EU" ? "eu-west-1" : constraint;
  }
  const existing = runtime.store.buckets.get(name);
  if (existing) {
    // S3 answers a re-create before looking at the new bucket's settings.
    if (existing.record.region === "us-east-1" && region === "us-east-1") {
      return emptyResponse(200, { location: `/${name}` });
    }
    throw new S3Error(
      409,
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      { BucketName: name },
    );
  }
  // The ownership setting (BucketOwnerEnforced unless the request names another) and any canned ACL it allows.
  const ownership = ownershipFromHeader(headerValue(call.request.headers, "x-amz-object-ownership"));
  const acl = decideAclWrite(
    "createBucket",
    ownership,
    undefined,
    aclRequestFromHeaders(call.request.headers),
  );
  const configuration: BucketConfiguration = { ownership };
  if (acl !== undefined && acl !== "private") configuration.acl = acl;
  await runtime.store.commit({
    t: "createBucket",
    bucket: { name, region, createdAt: new Date().toISOString() },
    configuration,
  });
  return emptyResponse(200, { location: `/${name}` });
};

export const headBucket: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  return emptyResponse(200, {
    "x-amz-bucket-region": bucket.record.region,
    "x-amz-access-point-alias": "false",
  });
};

export const deleteBucket: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  if (bucket.versions.size > 0) {
    throw new S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", {
      BucketName: call.bucket,
    });
  }
  await runtime.store.commit({ t: "deleteBucket", bucket: call.bucket });
  return emptyResponse();
};

export const getBucketLocation: S3Handler = async (runtime, call) => {
  const region = requireBucket(runtime, call.bucket).record.region;
  // us-east-1 is reported as an empty LocationConstraint, for historical reasons.
  return xmlResponse("LocationConstraint", region === "us-east-1" ? "" : region);
};

export async function configure(
  runtime: S3Runtime,
  call: S3Call,
  change: Partial<BucketConfiguration>,
): Promise<void> {
  const bucket = requireBucket(runtime, call.bucket);
  const configuration: BucketConfiguration = { ...bucket.configuration, ...change };
  for (const name of Object.keys(change) as Array<keyof BucketConfiguration>) {
    if (change[name] === undefined) delete configuration[name];
  }
  await runtime.store.commit({ t: "configure", bucket: call.bucket, configuration });
}

const booleanText = (node: unknown, name: string): boolean =>
  xmlText(node, name)?.trim().toLowerCase() === "true";

export const putPublicAccessBlock: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  const root = parseRequestXml(call.request.body).PublicAccessBlockConfiguration;
  if (root === undefined) throw malformedXml();
  const publicAccessBlock: PublicAccessBlockConfiguration = {
    BlockPublicAcls: booleanText(root, "BlockPublicAcls"),
    IgnorePublicAcls: booleanText(root, "IgnorePublicAcls"),
    BlockPublicPolicy: booleanText(root, "BlockPublicPolicy"),
    RestrictPublicBuckets: booleanText(root, "RestrictPublicBuckets"),
  };
  await configure(runtime, call, { publicAccessBlock });
  return emptyResponse(200);
};

export const getPublicAccessBlock: S3Handler = async (runtime, call) => {
  const configuration = requireBucket(runtime, call.bucket).configuration.publicAccessBlock;
  if (!configuration) {
    throw new S3Error(
      404,
      "NoSuchPublicAccessBlockConfiguration",
      "The public access block configuration was not found",
      {
        BucketName: call.bucket,
      },
    );
  }
  return xmlResponse("PublicAccessBlockConfiguration", { ...configuration });
};

export const deletePublicAccessBlock: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { publicAccessBlock: undefined });
  return emptyResponse();
};

const sseAlgorithms = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

export const putBucketEncryption: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  const root = parseRequestXml(call.request.body).ServerSideEncryptionConfiguration;
  if (root === undefined) throw malformedXml();
  const rules = xmlChildren(root, "Rule").map((rule): EncryptionRule => {
    const defaults = xmlChild(rule, "ApplyServerSideEncryptionByDefault");
    const sseAlgorithm = xmlText(defaults, "SSEAlgorithm")?.trim() ?? "";
    if (!sseAlgorithms.has(sseAlgorithm)) throw malformedXml();
    if (sseAlgorithm !== "AES256") refuseKms(sseAlgorithm);
    const encryption: EncryptionRule = { sseAlgorithm };
    const keyId = xmlText(defaults, "KMSMasterKeyID")?.trim();
    if (keyId) {
      if (sseAlgorithm === "AES256") {
        throw invalidArgument(
          "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        );
      }
      encryption.kmsMasterKeyId = keyId;
    }
    if (xmlText(rule, "BucketKeyEnabled") !== undefined)
      encryption.bucketKeyEnabled = booleanText(rule, "BucketKeyEnabled");
    return encryption;
  });
  if (rules.length === 0) throw malformedXml();
  await configure(runtime, call, { encryption: rules });
  return emptyResponse(200);
};

export const getBucketEncryption: S3Handler = async (runtime, call) => {
  const rules = requireBucket(runtime, call.bucket).configuration.encryption;
  if (!rules) {
    throw new S3Error(
      404,
      "ServerSideEncryptionConfigurationNotFoundError",
      "The server side encryption configuration was not found",
      { BucketName: call.bucket },
    );
  }
  return xmlResponse("ServerSideEncryptionConfiguration", {
    Rule: rules.map((rule) => ({
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: rule.sseAlgorithm,
        KMSMasterKeyID: rule.kmsMasterKeyId,
      },
      BucketKeyEnabled: rule.bucketKeyEnabled ?? false,
    })),
  });
};

export const deleteBucketEncryption: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { encryption: undefined });
  return emptyResponse();
};

/**
 * PutBucketNotificationConfiguration. Like AWS, each destination must pass its notifier's check (a Lambda
 * function's resource policy must let S3 invoke it for this bucket) unless `x-amz-skip-destination-validation`
 * is set.
 */
export const putBucketNotificationConfiguration: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  const configuration = parseNotificationConfiguration(parseRequestXml(call.request.body));
  const skip = headerValue(call.request.headers, "x-amz-skip-destination-validation") === "true";
  if (!skip) {
    const failures = runtime.notifications.check(call.bucket, configuration.destinations);
    if (Object.keys(failures).length > 0) {
      throw new S3Error(
        400,
        "InvalidArgument",
        "Unable to validate the following destination configurations",
        failures,
      );
    }
  }
  const empty = configuration.destinations.length === 0 && !configuration.eventBridge;
  await configure(runtime, call, { notification: empty ? undefined : configuration });
  runtime.notifications.configured(call.bucket, configuration);
  return emptyResponse(200);
};

export const getBucketNotificationConfiguration: S3Handler = async (runtime, call) => {
  const configuration = requireBucket(runtime, call.bucket).configuration.notification;
  return xmlResponse("NotificationConfiguration", renderNotificationConfiguration(configuration));
};

export const putBucketVersioning: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  const root = parseRequestXml(call.request.body).VersioningConfiguration;
  if (root === undefined) throw malformedXml();
  const status = xmlText(root, "Status")?.trim();
  if (status === undefined) return emptyResponse(200);
  if (status !== "Enabled" && status !== "Suspended") throw malformedXml();
  await configure(runtime, call, { versioning: status });
  return emptyResponse(200);
};

export const getBucketVersioning: S3Handler = async (runtime, call) => {
  const status = requireBucket(runtime, call.bucket).configuration.versioning;
  return xmlResponse("VersioningConfiguration", status === undefined ? {} : { Status: status });
};
