import { describe, expect, it } from "vitest";
import { authorizeRequest, isPublicPolicy } from "../../src/engine/policy/authorize.ts";
import { parsePolicyDocument } from "../../src/engine/policy/document.ts";
import type { Authorizer, Caller } from "../../src/engine/types.ts";

const OWNER = "000000000000";
/** Identity policies that allow nothing: what the bucket policy grants is all there is. */
const allowsNothing: Authorizer = { authorize: () => ({ allowed: false, reason: "implicit-deny" }) };
const caller = (accountId: string): Caller => ({
  accessKeyId: "AKIA",
  accountId,
  arn: `arn:aws:sts::${accountId}:assumed-role/reader/s`,
  role: { roleName: "reader", roleArn: `arn:aws:iam::${accountId}:role/reader`, sessionName: "s" },
});
const policy = (principal: unknown) =>
  parsePolicyDocument(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" },
      ],
    }),
    "resource",
  );
const read = (who: Caller, document: ReturnType<typeof policy>, restrict: boolean) =>
  authorizeRequest(
    allowsNothing,
    { principal: { kind: "caller", caller: who }, action: "s3:GetObject", resource: "arn:aws:s3:::b/k" },
    restrict ? { document, restrictPublicTo: OWNER } : { document },
  ).allowed;

describe("Block Public Access: RestrictPublicBuckets is consulted", () => {
  it("tells a public policy (Principal *) from one naming accounts", () => {
    expect(isPublicPolicy(policy("*"))).toBe(true);
    expect(isPublicPolicy(policy({ AWS: "*" }))).toBe(true);
    expect(isPublicPolicy(policy({ AWS: `arn:aws:iam::${OWNER}:root` }))).toBe(false);
  });

  it("with RestrictPublicBuckets, a public policy grants only the bucket owner's account", () => {
    const everyone = policy("*");
    expect(read(caller("111122223333"), everyone, false)).toBe(true);
    expect(read(caller("111122223333"), everyone, true)).toBe(false);
    expect(read(caller(OWNER), everyone, true)).toBe(true);
  });

  it("blocks cross-account delegation within a public policy too, and leaves non-public policies alone", () => {
    const other = "111122223333";
    const mixed = parsePolicyDocument(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: "arn:aws:s3:::b" },
          {
            Effect: "Allow",
            Principal: { AWS: other },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
          },
        ],
      }),
      "resource",
    );
    expect(read(caller(other), mixed, true)).toBe(false);
    expect(read(caller(other), policy({ AWS: other }), true)).toBe(true);
  });
});
