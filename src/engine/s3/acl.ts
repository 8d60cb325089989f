import type { IncomingHttpHeaders } from "node:http";
import { escapeXml } from "../service/codecs/xml.ts";
import { invalidArgument, notImplemented, S3Error } from "./errors.ts";
import { OWNER } from "./runtime.ts";
import type { BucketConfiguration } from "./storage/records.ts";
import { S3_NAMESPACE, xmlChild, xmlChildren, xmlText } from "./xml.ts";

/**
 * S3 Object Ownership and canned ACLs, as the engine emulates them: a bucket's ownership setting decides whether
 * ACLs are accepted at all (BucketOwnerEnforced: no, the default for new buckets since April 2023); where they
 * are, a canned ACL is stored and answered by `GET ?acl`. Explicit grants (`x-amz-grant-*`, an
 * AccessControlPolicy granting anyone but the owner) are not emulated and are refused by name. ACLs do not
 * change who may do what in the engine (one account; policies decide), which docs/engine.md says.
 */
export type ObjectOwnership = NonNullable<BucketConfiguration["ownership"]>;

export const objectOwnerships: readonly ObjectOwnership[] = [
  "BucketOwnerEnforced",
  "BucketOwnerPreferred",
  "ObjectWriter",
];

/** The ownership new buckets get when CreateBucket names none (S3's default since April 2023). */
const DEFAULT_OBJECT_OWNERSHIP: ObjectOwnership = "BucketOwnerEnforced";

/**
 * A bucket's effective setting. A bucket with no ownership controls (DeleteBucketOwnershipControls, or created
 * before the engine kept the setting) behaves as ObjectWriter, as S3 buckets did before ownership controls.
 */
export function effectiveOwnership(configuration: BucketConfiguration): ObjectOwnership {
  return configuration.ownership ?? "ObjectWriter";
}

/** `x-amz-object-ownership` on CreateBucket; a value S3 does not know is InvalidArgument, as S3 answers. */
export function ownershipFromHeader(value: string | undefined): ObjectOwnership {
  if (value === undefined) return DEFAULT_OBJECT_OWNERSHIP;
  if (!(objectOwnerships as readonly string[]).includes(value)) {
    throw new S3Error(400, "InvalidArgument", `Invalid x-amz-object-ownership header: ${value}`, {
      ArgumentName: "x-amz-object-ownership",
    });
  }
  return value as ObjectOwnership;
}

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";

type Grant = { group?: string; permission: string };
/** Each canned ACL the engine emulates as the grants besides the owner's FULL_CONTROL (S3's canned ACL table). */
const cannedGrants: Record<string, Grant[]> = {
  private: [],
  "public-read": [{ group: ALL_USERS, permission: "READ" }],
  "public-read-write": [
    { group: ALL_USERS, permission: "READ" },
    { group: ALL_USERS, permission: "WRITE" },
  ],
  "authenticated-read": [{ group: AUTHENTICATED_USERS, permission: "READ" }],
  // One account owns every bucket and object here, so the bucket owner is the object owner.
  "bucket-owner-read": [],
  "bucket-owner-full-control": [],
  "log-delivery-write": [
    { group: LOG_DELIVERY, permission: "WRITE" },
    { group: LOG_DELIVERY, permission: "READ_ACP" },
  ],
};
const bucketOnly = new Set(["log-delivery-write"]);
const objectOnly = new Set(["bucket-owner-read", "bucket-owner-full-control", "aws-exec-read"]);
const publicCannedAcls = new Set(["public-read", "public-read-write", "authenticated-read"]);
const publicGrantee = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** What a request asks of ACLs: a canned ACL, explicit grant headers, an AccessControlPolicy body. */
export interface AclRequest {
  canned?: string;
  /** `x-amz-grant-*` headers, name → value. */
  grants: Record<string, string>;
  /** An AccessControlPolicy body: `owner-only` when it grants only the owner FULL_CONTROL. */
  policy?: "owner-only" | "other";
}

/** The ACL parts of a request's headers. */
export function aclRequestFromHeaders(headers: IncomingHttpHeaders): AclRequest {
  const grants: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (name.startsWith("x-amz-grant-") && value !== undefined) grants[name] = String(value);
  const canned = headers["x-amz-acl"];
  const request: AclRequest = { grants };
  if (canned !== undefined) request.canned = String(canned).trim();
  return request;
}

/** Whether an `<AccessControlPolicy>` grants only its owner FULL_CONTROL (what `private` is). */
export function policyGrantsOwnerOnly(root: unknown): boolean {
  const grants = xmlChildren(xmlChild(root, "AccessControlList"), "Grant");
  return (
    grants.length === 1 &&
    xmlText(grants[0], "Permission")?.trim() === "FULL_CONTROL" &&
    xmlText(xmlChild(grants[0], "Grantee"), "ID")?.trim() === OWNER.ID
  );
}

/** Where an ACL is being set: a new bucket, a new object, or PutBucketAcl / PutObjectAcl. */
export type AclWrite = "createBucket" | "putBucketAcl" | "writeObject" | "putObjectAcl";

const aclNotSupported = () =>
  new S3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");

/**
 * Decides an ACL write as S3 does and answers the canned ACL to store (undefined: nothing to store).
 * - BucketOwnerEnforced: a new object may say `bucket-owner-full-control`, a new bucket `private`; any other
 *   ACL is refused (AccessControlListNotSupported; on CreateBucket InvalidBucketAclWithObjectOwnership).
 * - Block Public Access's BlockPublicAcls: a public canned ACL or grant to everyone is 403 AccessDenied.
 * - Otherwise a canned ACL is kept; an unknown one is InvalidArgument; explicit grants and `aws-exec-read`
 *   are refused by name (501 NotImplemented), never dropped.
 */
export function decideAclWrite(
  write: AclWrite,
  ownership: ObjectOwnership,
  publicAccessBlock: BucketConfiguration["publicAccessBlock"],
  request: AclRequest,
): string | undefined {
  const { canned } = request;
  const grantNames = Object.keys(request.grants);
  const onBucket = write === "createBucket" || write === "putBucketAcl";
  if (canned !== undefined) {
    const known = canned in cannedGrants || canned === "aws-exec-read";
    if (!known || (onBucket && objectOnly.has(canned)) || (!onBucket && bucketOnly.has(canned)))
      throw invalidArgument("", "x-amz-acl", canned);
  }
  if (ownership === "BucketOwnerEnforced") {
    const ownerOnly =
      grantNames.length === 0 &&
      request.policy !== "other" &&
      (write === "createBucket"
        ? canned === undefined || canned === "private"
        : write === "putBucketAcl"
          ? false
          : canned === undefined || canned === "bucket-owner-full-control");
    if (ownerOnly) return undefined;
    if (write === "createBucket")
      throw new S3Error(
        400,
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      );
    throw aclNotSupported();
  }
  const isPublic =
    (canned !== undefined && publicCannedAcls.has(canned)) ||
    Object.values(request.grants).some((grantee) => publicGrantee.test(grantee));
  if (publicAccessBlock?.BlockPublicAcls && isPublic) throw new S3Error(403, "AccessDenied", "Access Denied");
  const [grant] = grantNames;
  if (grant !== undefined)
    throw notImplemented(`${grant} (explicit ACL grants are not emulated; use a canned ACL, x-amz-acl)`);
  if (request.policy === "other")
    throw notImplemented(
      "an AccessControlPolicy granting anyone but the owner (explicit grants are not emulated; use a canned ACL, x-amz-acl)",
    );
  if (canned === "aws-exec-read") throw notImplemented("x-amz-acl: aws-exec-read");
  if (request.policy === "owner-only") return "private";
  return canned;
}

/** Whether a bucket ACL grants anyone but the owner (PutBucketOwnershipControls may not then enforce). */
export function grantsOthers(canned: string | undefined): boolean {
  return canned !== undefined && (cannedGrants[canned]?.length ?? 0) > 0;
}

function granteeXml(grant: Grant): string {
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  return grant.group === undefined
    ? `<Grantee ${xsi} xsi:type="CanonicalUser"><ID>${OWNER.ID}</ID><DisplayName>${OWNER.DisplayName}</DisplayName></Grantee>`
    : `<Grantee ${xsi} xsi:type="Group"><URI>${escapeXml(grant.group)}</URI></Grantee>`;
}

/**
 * The `<AccessControlPolicy>` GET ?acl answers: the owner's FULL_CONTROL, then the canned ACL's other grants
 * (none under BucketOwnerEnforced, where S3 always answers the owner's full control). Written by hand because
 * a grantee's type is an `xsi:type` attribute, which the shared writer does not emit.
 */
export function aclDocument(canned: string | undefined, ownership: ObjectOwnership): string {
  const others = ownership === "BucketOwnerEnforced" ? [] : (cannedGrants[canned ?? "private"] ?? []);
  const grants = [{ permission: "FULL_CONTROL" }, ...others]
    .map((grant) => `<Grant>${granteeXml(grant)}<Permission>${grant.permission}</Permission></Grant>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="${S3_NAMESPACE}">` +
    `<Owner><ID>${OWNER.ID}</ID><DisplayName>${OWNER.DisplayName}</DisplayName></Owner>` +
    `<AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`
  );
}
