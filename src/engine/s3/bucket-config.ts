import { headerValue } from "../headers.ts";
import { isPublicPolicy } from "../policy/authorize.ts";
import { parsePolicyDocument } from "../policy/document.ts";
import { MalformedPolicyDocumentError } from "../policy/errors.ts";
import { grantsOthers, objectOwnerships } from "./acl.ts";
import { configure } from "./buckets.ts";
import { parseCorsConfiguration, preflightHeaders } from "./cors.ts";
import { malformedXml, S3Error } from "./errors.ts";
import { validateLifecycle } from "./lifecycle.ts";
import { validateTags } from "./object-headers.ts";
import { emptyResponse, requireBucket, type S3Handler, xmlResponse } from "./runtime.ts";
import type { BucketConfiguration } from "./storage/records.ts";
import { parseRequestXml, xmlChild, xmlChildren, xmlText } from "./xml.ts";

const notFound = (code: string, message: string, bucket: string) =>
  new S3Error(404, code, message, { BucketName: bucket });

/** Bucket CORS: PutBucketCors / GetBucketCors / DeleteBucketCors. */
export const putBucketCors: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  await configure(runtime, call, { cors: parseCorsConfiguration(parseRequestXml(call.request.body)) });
  return emptyResponse(200);
};

export const getBucketCors: S3Handler = async (runtime, call) => {
  const rules = requireBucket(runtime, call.bucket).configuration.cors;
  if (!rules) throw notFound("NoSuchCORSConfiguration", "The CORS configuration does not exist", call.bucket);
  return xmlResponse("CORSConfiguration", {
    CORSRule: rules.map((rule) => ({
      ID: rule.id,
      AllowedHeader: rule.allowedHeaders,
      AllowedMethod: rule.allowedMethods,
      AllowedOrigin: rule.allowedOrigins,
      ExposeHeader: rule.exposeHeaders,
      MaxAgeSeconds: rule.maxAgeSeconds,
    })),
  });
};

export const deleteBucketCors: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { cors: undefined });
  return emptyResponse();
};

/** A browser's preflight `OPTIONS`, answered from the bucket's CORS rules (no signature: browsers send none). */
export const preflight: S3Handler = async (runtime, call) => {
  const { headers } = call.request;
  const rules = requireBucket(runtime, call.bucket).configuration.cors;
  return emptyResponse(
    200,
    preflightHeaders(
      rules,
      headerValue(headers, "origin"),
      headerValue(headers, "access-control-request-method"),
      headerValue(headers, "access-control-request-headers"),
    ),
  );
};

/** A `<Tagging><TagSet><Tag>…` document as a tag map, with S3's limits. */
export function parseTagSet(body: Buffer, limit: 10 | 50 = 10): Record<string, string> {
  const root = parseRequestXml(body).Tagging;
  if (root === undefined) throw malformedXml();
  const tags: Record<string, string> = {};
  for (const tag of xmlChildren(xmlChild(root, "TagSet"), "Tag")) {
    const key = xmlText(tag, "Key");
    if (key === undefined) throw malformedXml();
    if (key in tags) throw new S3Error(400, "InvalidTag", "Cannot provide multiple Tags with the same key");
    tags[key] = xmlText(tag, "Value") ?? "";
  }
  validateTags(tags, limit);
  return tags;
}

/** The `<Tagging>` document for a tag map. */
export function tagSetDocument(tags: Record<string, string>) {
  return { TagSet: { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } };
}

export const putBucketTagging: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  await configure(runtime, call, { tags: parseTagSet(call.request.body, 50) });
  return emptyResponse(204);
};

export const getBucketTagging: S3Handler = async (runtime, call) => {
  const tags = requireBucket(runtime, call.bucket).configuration.tags;
  if (!tags) throw notFound("NoSuchTagSet", "The TagSet does not exist", call.bucket);
  return xmlResponse("Tagging", tagSetDocument(tags));
};

export const deleteBucketTagging: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { tags: undefined });
  return emptyResponse();
};

/**
 * PutBucketPolicy: validated by the engine's IAM policy parser (as a resource policy, so every statement
 * names a Principal) and refused with BlockPublicPolicy when it grants access to everyone.
 */
export const putBucketPolicy: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const text = call.request.body.toString("utf8");
  let document: ReturnType<typeof parsePolicyDocument>;
  try {
    document = parsePolicyDocument(text, "resource");
  } catch (error) {
    if (!(error instanceof MalformedPolicyDocumentError)) throw error;
    throw new S3Error(400, "MalformedPolicy", error.message, {}, { cause: error });
  }
  // IAM: "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not supported."
  if (
    document.Statement.some(
      (statement) => statement.Effect === "Allow" && statement.NotPrincipal !== undefined,
    )
  )
    throw new S3Error(400, "MalformedPolicy", "Invalid principal in policy");
  if (bucket.configuration.publicAccessBlock?.BlockPublicPolicy && isPublicPolicy(document))
    throw new S3Error(403, "AccessDenied", "Access Denied");
  await configure(runtime, call, { policy: text });
  return emptyResponse(204);
};

export const getBucketPolicy: S3Handler = async (runtime, call) => {
  const policy = requireBucket(runtime, call.bucket).configuration.policy;
  if (!policy) throw notFound("NoSuchBucketPolicy", "The bucket policy does not exist", call.bucket);
  return { status: 200, headers: { "content-type": "application/json" }, body: policy };
};

export const deleteBucketPolicy: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { policy: undefined });
  return emptyResponse();
};

/**
 * PutBucketOwnershipControls: one rule naming one of S3's three settings. BucketOwnerEnforced is refused while
 * the bucket's ACL grants anyone but the owner (InvalidBucketAclWithObjectOwnership), as S3 does.
 */
export const putBucketOwnershipControls: S3Handler = async (runtime, call) => {
  const bucket = requireBucket(runtime, call.bucket);
  const root = parseRequestXml(call.request.body).OwnershipControls;
  const rules = xmlChildren(root, "Rule");
  const value = xmlText(rules[0], "ObjectOwnership")?.trim();
  if (root === undefined || rules.length !== 1 || value === undefined) throw malformedXml();
  if (!(objectOwnerships as readonly string[]).includes(value)) throw malformedXml();
  if (value === "BucketOwnerEnforced" && grantsOthers(bucket.configuration.acl)) {
    throw new S3Error(
      400,
      "InvalidBucketAclWithObjectOwnership",
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    );
  }
  await configure(runtime, call, { ownership: value as BucketConfiguration["ownership"] });
  return emptyResponse(200);
};

export const getBucketOwnershipControls: S3Handler = async (runtime, call) => {
  const ownership = requireBucket(runtime, call.bucket).configuration.ownership;
  if (!ownership) {
    throw notFound(
      "OwnershipControlsNotFoundError",
      "The bucket ownership controls were not found",
      call.bucket,
    );
  }
  return xmlResponse("OwnershipControls", { Rule: { ObjectOwnership: ownership } });
};

export const deleteBucketOwnershipControls: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { ownership: undefined });
  return emptyResponse();
};

/**
 * PutBucketLifecycleConfiguration: validated as S3 does (lifecycle.ts) and stored with the IDs S3 would assign.
 * The engine has no clock that expires or transitions objects, so the rules are returned, never applied.
 */
export const putBucketLifecycle: S3Handler = async (runtime, call) => {
  requireBucket(runtime, call.bucket);
  await configure(runtime, call, { lifecycle: validateLifecycle(call.request.body) });
  return emptyResponse(200);
};

export const getBucketLifecycle: S3Handler = async (runtime, call) => {
  const lifecycle = requireBucket(runtime, call.bucket).configuration.lifecycle;
  if (!lifecycle) {
    throw notFound("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", call.bucket);
  }
  return { status: 200, headers: { "content-type": "application/xml" }, body: lifecycle };
};

export const deleteBucketLifecycle: S3Handler = async (runtime, call) => {
  await configure(runtime, call, { lifecycle: undefined });
  return emptyResponse();
};
