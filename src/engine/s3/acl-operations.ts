import {
  type AclRequest,
  type AclWrite,
  aclDocument,
  aclRequestFromHeaders,
  decideAclWrite,
  effectiveOwnership,
  policyGrantsOwnerOnly,
} from "./acl.ts";
import { configure } from "./buckets.ts";
import { malformedXml, S3Error } from "./errors.ts";
import { smallBody, taggedVersion } from "./object-subresources.ts";
import { emptyResponse, requireBucket, type S3Call, type S3Handler } from "./runtime.ts";
import type { BucketConfiguration } from "./storage/records.ts";
import { parseRequestXml } from "./xml.ts";

/**
 * PutBucketAcl / PutObjectAcl's input: a canned ACL or grant headers, or an AccessControlPolicy body, never
 * both (S3: UnexpectedContent) and never neither (S3: MissingSecurityHeader).
 */
async function aclInput(call: S3Call): Promise<AclRequest> {
  const request = aclRequestFromHeaders(call.request.headers);
  const body = await smallBody(call);
  const fromHeaders = request.canned !== undefined || Object.keys(request.grants).length > 0;
  if (body.length > 0) {
    if (fromHeaders) throw new S3Error(400, "UnexpectedContent", "This request does not support content");
    const root = parseRequestXml(body).AccessControlPolicy;
    if (root === undefined) throw malformedXml();
    request.policy = policyGrantsOwnerOnly(root) ? "owner-only" : "other";
  } else if (!fromHeaders) {
    throw new S3Error(400, "MissingSecurityHeader", "Your request was missing a required header", {
      MissingHeaderName: "x-amz-acl",
    });
  }
  return request;
}

function decide(write: AclWrite, configuration: BucketConfiguration, request: AclRequest) {
  return decideAclWrite(write, effectiveOwnership(configuration), configuration.publicAccessBlock, request);
}

const aclResponse = (body: string, headers: Record<string, string> = {}) => ({
  status: 200,
  headers: { "content-type": "application/xml", ...headers },
  body,
});

/** GetBucketAcl: the owner's FULL_CONTROL, with the bucket's canned ACL's grants where ACLs are enabled. */
export const getBucketAcl: S3Handler = async (runtime, call) => {
  const { configuration } = requireBucket(runtime, call.bucket);
  return aclResponse(aclDocument(configuration.acl, effectiveOwnership(configuration)));
};

export const putBucketAcl: S3Handler = async (runtime, call) => {
  const { configuration } = requireBucket(runtime, call.bucket);
  const acl = decide("putBucketAcl", configuration, await aclInput(call));
  await configure(runtime, call, { acl: acl === "private" ? undefined : acl });
  return emptyResponse(200);
};

const versionHeader = (versionId: string | undefined): Record<string, string> =>
  versionId === undefined ? {} : { "x-amz-version-id": versionId };

/** GetObjectAcl: as GetBucketAcl, for the current (or named) version. */
export const getObjectAcl: S3Handler = async (runtime, call) => {
  const { configuration } = requireBucket(runtime, call.bucket);
  const object = taggedVersion(runtime, call);
  return aclResponse(
    aclDocument(object.acl, effectiveOwnership(configuration)),
    versionHeader(object.versionId),
  );
};

/** PutObjectAcl: replaces the canned ACL of the current (or named) version, without a new version. */
export const putObjectAcl: S3Handler = async (runtime, call) => {
  const { configuration } = requireBucket(runtime, call.bucket);
  const object = taggedVersion(runtime, call);
  const acl = decide("putObjectAcl", configuration, await aclInput(call));
  if (effectiveOwnership(configuration) !== "BucketOwnerEnforced") {
    await runtime.store.commit({
      t: "aclObject",
      bucket: call.bucket,
      key: call.key,
      versionId: object.versionId ?? "null",
      ...(acl === undefined || acl === "private" ? {} : { acl }),
    });
  }
  return emptyResponse(200, versionHeader(object.versionId));
};
