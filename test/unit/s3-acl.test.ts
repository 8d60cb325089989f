import { describe, expect, it } from "vitest";
import {
  type AclRequest,
  aclDocument,
  decideAclWrite,
  effectiveOwnership,
  ownershipFromHeader,
  policyGrantsOwnerOnly,
} from "../../src/engine/s3/acl.ts";
import { S3Error } from "../../src/engine/s3/errors.ts";
import { parseRequestXml } from "../../src/engine/s3/xml.ts";

const canned = (acl: string): AclRequest => ({ canned: acl, grants: {} });
const code = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof S3Error) return `${error.status} ${error.code}`;
    throw error;
  }
  return "accepted";
};

describe("S3 Object Ownership and canned ACLs (pure decisions)", () => {
  it("defaults new buckets to BucketOwnerEnforced, a bucket without controls to ObjectWriter, refuses unknown values", () => {
    expect(ownershipFromHeader(undefined)).toBe("BucketOwnerEnforced");
    expect(ownershipFromHeader("ObjectWriter")).toBe("ObjectWriter");
    expect(code(() => ownershipFromHeader("Owner"))).toBe("400 InvalidArgument");
    expect(effectiveOwnership({})).toBe("ObjectWriter");
  });

  it("under BucketOwnerEnforced accepts only the owner's full control, as AWS documents", () => {
    const enforced = (write: Parameters<typeof decideAclWrite>[0], request: AclRequest) =>
      code(() => decideAclWrite(write, "BucketOwnerEnforced", undefined, request));
    expect(enforced("writeObject", { grants: {} })).toBe("accepted");
    expect(enforced("writeObject", canned("bucket-owner-full-control"))).toBe("accepted");
    expect(enforced("writeObject", canned("public-read"))).toBe("400 AccessControlListNotSupported");
    expect(enforced("writeObject", { grants: { "x-amz-grant-read": 'id="x"' } })).toBe(
      "400 AccessControlListNotSupported",
    );
    expect(enforced("createBucket", canned("private"))).toBe("accepted");
    expect(enforced("createBucket", canned("public-read"))).toBe("400 InvalidBucketAclWithObjectOwnership");
    expect(enforced("putBucketAcl", canned("private"))).toBe("400 AccessControlListNotSupported");
  });

  it("with ACLs enabled keeps canned ACLs, refuses explicit grants by name and unknown ACLs, honours BlockPublicAcls", () => {
    expect(decideAclWrite("writeObject", "ObjectWriter", undefined, canned("public-read"))).toBe(
      "public-read",
    );
    expect(
      decideAclWrite("putBucketAcl", "BucketOwnerPreferred", undefined, { grants: {}, policy: "owner-only" }),
    ).toBe("private");
    expect(
      code(() =>
        decideAclWrite("writeObject", "ObjectWriter", undefined, {
          grants: { "x-amz-grant-write-acp": "id=1" },
        }),
      ),
    ).toBe("501 NotImplemented");
    expect(code(() => decideAclWrite("writeObject", "ObjectWriter", undefined, canned("everyone")))).toBe(
      "400 InvalidArgument",
    );
    expect(
      code(() => decideAclWrite("putBucketAcl", "ObjectWriter", undefined, canned("bucket-owner-read"))),
    ).toBe("400 InvalidArgument");
    const blocked = {
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    };
    expect(code(() => decideAclWrite("writeObject", "ObjectWriter", blocked, canned("public-read")))).toBe(
      "403 AccessDenied",
    );
  });

  it("answers GET ?acl with the owner's FULL_CONTROL and the canned ACL's grants (none when enforced)", () => {
    const grants = (xml: string) =>
      [...xml.matchAll(/<Permission>(\w+)<\/Permission>/g)].map((match) => match[1]);
    expect(grants(aclDocument("public-read-write", "ObjectWriter"))).toEqual([
      "FULL_CONTROL",
      "READ",
      "WRITE",
    ]);
    expect(grants(aclDocument("public-read", "BucketOwnerEnforced"))).toEqual(["FULL_CONTROL"]);
    expect(aclDocument(undefined, "ObjectWriter")).toContain('xsi:type="CanonicalUser"');
  });

  it("tells an AccessControlPolicy granting only the owner from one granting others", () => {
    const policy = (grantee: string) =>
      parseRequestXml(
        Buffer.from(
          `<AccessControlPolicy><AccessControlList><Grant><Grantee>${grantee}</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
        ),
      ).AccessControlPolicy;
    expect(
      policyGrantsOwnerOnly(
        policy("<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"),
      ),
    ).toBe(true);
    expect(policyGrantsOwnerOnly(policy("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"))).toBe(
      false,
    );
  });
});
