import { describe, expect, it } from "vitest";
import {
  authorizeRequest,
  deniedMessage,
  type ResourcePolicy,
  resourcePolicyDocument,
  type Verdict,
} from "../../src/engine/policy/authorize.ts";
import type { AuthorizationResult, Authorizer, CallingPrincipal } from "../../src/engine/types.ts";

const account = "000000000000";
const roleArn = `arn:aws:iam::${account}:role/worker`;
const sessionArn = `arn:aws:sts::${account}:assumed-role/worker/s1`;
const queueArn = `arn:aws:sqs:us-east-1:${account}:jobs`;
const asRole: CallingPrincipal = {
  kind: "caller",
  caller: {
    accessKeyId: "ASIA",
    accountId: account,
    arn: sessionArn,
    role: { roleName: "worker", roleArn, sessionName: "s1" },
  },
};
const asS3: CallingPrincipal = {
  kind: "service",
  service: "s3.amazonaws.com",
  sourceArn: "arn:aws:s3:::photos",
  sourceAccount: account,
};
const send = { action: "sqs:SendMessage", resource: queueArn };

/** Identity policies that answer `result` for every request, counting what they were asked. */
function identity(result: AuthorizationResult): Authorizer & { asked: number } {
  const authorizer = {
    asked: 0,
    authorize: () => {
      authorizer.asked += 1;
      return result;
    },
  };
  return authorizer;
}
const identityAllows = () => identity({ allowed: true });
const identityDenies = () => identity({ allowed: false, reason: "explicit-deny" });
const identitySilent = () => identity({ allowed: false, reason: "implicit-deny" });

/** A queue policy of one statement with `effect` for `principal`. */
function queuePolicy(
  effect: "Allow" | "Deny",
  principal: unknown,
  condition?: Record<string, unknown>,
): ResourcePolicy {
  const document = resourcePolicyDocument(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: effect,
          Principal: principal,
          Action: "sqs:SendMessage",
          Resource: queueArn,
          ...(condition ? { Condition: condition } : {}),
        },
      ],
    }),
  );
  if (!document) throw new Error("the test's policy does not parse");
  return { document };
}
const resourceAllows = () => queuePolicy("Allow", { AWS: roleArn });
const resourceDenies = () => queuePolicy("Deny", { AWS: roleArn });

const allowed: Verdict = { allowed: true };
type Denied = Extract<Verdict, { allowed: false }>;
const explicit = (policyType: Denied["policyType"]): Denied => ({
  allowed: false,
  reason: "explicit-deny",
  policyType,
});
const implicit = (policyType: Denied["policyType"]): Denied => ({
  allowed: false,
  reason: "implicit-deny",
  policyType,
});

describe("Function: authorizeRequest", () => {
  // Identity allow / explicit deny / silence × resource allow / deny / none, for a caller in the account.
  const cases: Array<[string, () => Authorizer, (() => ResourcePolicy) | undefined, Verdict]> = [
    ["identity allows, no resource policy", identityAllows, undefined, allowed],
    ["identity allows, resource allows", identityAllows, resourceAllows, allowed],
    ["identity allows, resource denies", identityAllows, resourceDenies, explicit("resource-based")],
    ["identity denies, no resource policy", identityDenies, undefined, explicit("identity-based")],
    ["identity denies, resource allows", identityDenies, resourceAllows, explicit("identity-based")],
    ["identity denies, resource denies", identityDenies, resourceDenies, explicit("identity-based")],
    ["identity silent, no resource policy", identitySilent, undefined, implicit("identity-based")],
    ["identity silent, resource allows", identitySilent, resourceAllows, allowed],
    ["identity silent, resource denies", identitySilent, resourceDenies, explicit("resource-based")],
  ];
  for (const [name, makeIdentity, makePolicy, expected] of cases) {
    it(`decides a caller's request: ${name}`, () => {
      // Act
      const verdict = authorizeRequest(makeIdentity(), { principal: asRole, ...send }, makePolicy?.());

      // Assess
      expect(verdict).toEqual(expected);
    });
  }

  it("judges a service principal by the resource policy alone, with its SourceArn and SourceAccount", () => {
    // Prepare: identity policies that would allow anything; the queue allows S3 for one bucket of the account.
    const authorizer = identityAllows();
    const policy = queuePolicy(
      "Allow",
      { Service: "s3.amazonaws.com" },
      { ArnLike: { "aws:SourceArn": "arn:aws:s3:::photos" }, StringEquals: { "aws:SourceAccount": account } },
    );
    const fromOther = { ...asS3, sourceArn: "arn:aws:s3:::other" };
    const fromAnotherAccount = { ...asS3, sourceAccount: "111122223333" };

    // Act
    const verdicts = [
      authorizeRequest(authorizer, { principal: asS3, ...send }, policy),
      authorizeRequest(authorizer, { principal: fromOther, ...send }, policy),
      authorizeRequest(authorizer, { principal: fromAnotherAccount, ...send }, policy),
      authorizeRequest(authorizer, { principal: asS3, ...send }),
      authorizeRequest(authorizer, { principal: asS3, ...send }, queuePolicy("Deny", "*")),
    ];

    // Assess
    expect(verdicts).toEqual([
      allowed,
      implicit("resource-based"),
      implicit("resource-based"),
      implicit("resource-based"),
      explicit("resource-based"),
    ]);
    expect(authorizer.asked).toBe(0);
  });

  it("does not let a service's statement grant a caller, nor a role's statement grant a service", () => {
    const forS3 = queuePolicy("Allow", { Service: "s3.amazonaws.com" });
    expect(authorizeRequest(identitySilent(), { principal: asRole, ...send }, forS3)).toEqual(
      implicit("identity-based"),
    );
    expect(authorizeRequest(identitySilent(), { principal: asS3, ...send }, resourceAllows())).toEqual(
      implicit("resource-based"),
    );
  });

  it("gives a resource policy the caller's aws:PrincipalArn (the role, not the session)", () => {
    const pinned = queuePolicy("Allow", "*", { ArnEquals: { "aws:PrincipalArn": roleArn } });
    expect(authorizeRequest(identitySilent(), { principal: asRole, ...send }, pinned)).toEqual(allowed);
  });

  it("with restrictPublicTo, a public policy grants only within the owner's account; its Deny binds all", () => {
    // Prepare
    const outsider: CallingPrincipal = {
      kind: "caller",
      caller: { accessKeyId: "AKIA", accountId: "111122223333", arn: "arn:aws:iam::111122223333:root" },
    };
    const everyone = queuePolicy("Allow", "*");

    // Act + Assess
    expect(authorizeRequest(identitySilent(), { principal: outsider, ...send }, everyone)).toEqual(allowed);
    const restricted = { ...everyone, restrictPublicTo: account };
    expect(authorizeRequest(identitySilent(), { principal: outsider, ...send }, restricted)).toEqual(
      implicit("identity-based"),
    );
    expect(authorizeRequest(identitySilent(), { principal: asRole, ...send }, restricted)).toEqual(allowed);
  });
});

describe("Function: deniedMessage", () => {
  it("words refusals as AWS does, naming the policy type", () => {
    const request = { principal: asRole, ...send };
    expect(
      deniedMessage(request, { allowed: false, reason: "implicit-deny", policyType: "identity-based" }),
    ).toBe(
      `User: ${sessionArn} is not authorized to perform: sqs:SendMessage on resource: ${queueArn} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expect(
      deniedMessage(request, explicit("resource-based"), {
        quoteResource: true,
      }),
    ).toBe(
      `User: ${sessionArn} is not authorized to perform: sqs:SendMessage on resource: "${queueArn}" with an explicit deny in a resource-based policy`,
    );
    expect(deniedMessage(request, explicit("identity-based"))).toMatch(
      /with an explicit deny in an identity-based policy$/,
    );
    expect(deniedMessage({ principal: asS3, ...send }, implicit("resource-based"))).toBe(
      `Service: s3.amazonaws.com is not authorized to perform: sqs:SendMessage on resource: ${queueArn} because no resource-based policy allows the sqs:SendMessage action`,
    );
  });
});

describe("Function: resourcePolicyDocument", () => {
  it("parses a stored policy once, and takes one that does not parse as none (it grants and denies nothing)", () => {
    const text = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:*" }] });
    expect(resourcePolicyDocument(text)).toBe(resourcePolicyDocument(text));
    expect(resourcePolicyDocument('{"Statement": [{"Effect": "Maybe"}]}')).toBeUndefined();
    expect(resourcePolicyDocument(undefined)).toBeUndefined();
    expect(resourcePolicyDocument("")).toBeUndefined();
  });
});
