import { describe, expect, it } from "vitest";
import { lambdaMayAssume, trustAllows } from "../../src/engine/iam/trust.ts";
import type { PolicyStatement } from "../../src/engine/policy/document.ts";
import type { RequestPrincipal } from "../../src/engine/policy/evaluate.ts";
import type { ConditionContext } from "../../src/engine/types.ts";

const account = "000000000000";
const root = `arn:aws:iam::${account}:root`;
const roleArn = `arn:aws:iam::${account}:role/app`;
const lambda: RequestPrincipal = { service: "lambda.amazonaws.com" };
const admin: RequestPrincipal = { aws: root };
const user: RequestPrincipal = { aws: `arn:aws:iam::${account}:user/alice` };
const session: RequestPrincipal = { aws: `arn:aws:sts::${account}:assumed-role/app/worker-1` };
const otherAccount: RequestPrincipal = { aws: "arn:aws:iam::111122223333:root" };

function trust(...statements: Array<Partial<PolicyStatement>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((statement) => ({ Effect: "Allow", Action: "sts:AssumeRole", ...statement })),
  });
}

interface Case {
  name: string;
  document: string;
  principal: RequestPrincipal;
  action?: string;
  context?: ConditionContext;
  expected: "allow" | "explicit-deny" | "implicit-deny";
}

const cases: Case[] = [
  // Service principals
  {
    name: "a service principal given as a string",
    document: trust({ Principal: { Service: "lambda.amazonaws.com" } }),
    principal: lambda,
    expected: "allow",
  },
  {
    name: "a service principal inside a list",
    document: trust({ Principal: { Service: ["ec2.amazonaws.com", "lambda.amazonaws.com"] } }),
    principal: lambda,
    expected: "allow",
  },
  {
    name: "service names compare case-insensitively",
    document: trust({ Principal: { Service: "Lambda.AmazonAWS.com" } }),
    principal: lambda,
    expected: "allow",
  },
  {
    name: "another service only",
    document: trust({ Principal: { Service: "ec2.amazonaws.com" } }),
    principal: lambda,
    expected: "implicit-deny",
  },
  {
    name: "a service trust does not let a user in",
    document: trust({ Principal: { Service: "lambda.amazonaws.com" } }),
    principal: admin,
    expected: "implicit-deny",
  },
  // AWS principals
  {
    name: "the account id names the account's root",
    document: trust({ Principal: { AWS: account } }),
    principal: admin,
    expected: "allow",
  },
  {
    name: "the account root ARN",
    document: trust({ Principal: { AWS: root } }),
    principal: admin,
    expected: "allow",
  },
  {
    name: "the account root ARN covers the account's users",
    document: trust({ Principal: { AWS: root } }),
    principal: user,
    expected: "allow",
  },
  {
    name: "the account root ARN covers role sessions of the account",
    document: trust({ Principal: { AWS: root } }),
    principal: session,
    expected: "allow",
  },
  {
    name: "another account's root",
    document: trust({ Principal: { AWS: root } }),
    principal: otherAccount,
    expected: "implicit-deny",
  },
  {
    name: "a user ARN names that user",
    document: trust({ Principal: { AWS: `arn:aws:iam::${account}:user/alice` } }),
    principal: user,
    expected: "allow",
  },
  {
    name: "a user ARN does not name the account root",
    document: trust({ Principal: { AWS: `arn:aws:iam::${account}:user/alice` } }),
    principal: admin,
    expected: "implicit-deny",
  },
  {
    name: "a role ARN names that role's sessions",
    document: trust({ Principal: { AWS: [`arn:aws:iam::${account}:user/bob`, roleArn] } }),
    principal: session,
    expected: "allow",
  },
  {
    name: "a role ARN does not name another role's sessions",
    document: trust({ Principal: { AWS: `arn:aws:iam::${account}:role/other` } }),
    principal: session,
    expected: "implicit-deny",
  },
  {
    name: 'AWS "*" names every AWS principal',
    document: trust({ Principal: { AWS: "*" } }),
    principal: otherAccount,
    expected: "allow",
  },
  {
    name: 'Principal "*" names services too',
    document: trust({ Principal: "*" }),
    principal: lambda,
    expected: "allow",
  },
  // Deny statements
  {
    name: "an explicit Deny wins over an Allow",
    document: trust(
      { Principal: { AWS: root } },
      { Effect: "Deny", Principal: { AWS: `arn:aws:iam::${account}:user/alice` } },
    ),
    principal: user,
    expected: "explicit-deny",
  },
  {
    name: "a Deny for someone else leaves the Allow standing",
    document: trust(
      { Principal: { AWS: root } },
      { Effect: "Deny", Principal: { AWS: `arn:aws:iam::${account}:user/mallory` } },
    ),
    principal: user,
    expected: "allow",
  },
  {
    name: "a Deny of a service",
    document: trust({ Principal: "*" }, { Effect: "Deny", Principal: { Service: "lambda.amazonaws.com" } }),
    principal: lambda,
    expected: "explicit-deny",
  },
  {
    name: "NotPrincipal denies everyone it does not name",
    document: trust({ Principal: "*" }, { Effect: "Deny", NotPrincipal: { AWS: root } }),
    principal: otherAccount,
    expected: "explicit-deny",
  },
  // Actions
  {
    name: "sts:* covers sts:AssumeRole",
    document: trust({ Principal: { AWS: root }, Action: "sts:*" }),
    principal: admin,
    expected: "allow",
  },
  {
    name: "actions compare case-insensitively",
    document: trust({ Principal: { AWS: root }, Action: "STS:assumerole" }),
    principal: admin,
    expected: "allow",
  },
  {
    name: "another STS action does not allow AssumeRole",
    document: trust({ Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:TagSession" }),
    principal: lambda,
    expected: "implicit-deny",
  },
  {
    name: "NotAction that leaves AssumeRole out allows it",
    document: trust({ Principal: { AWS: root }, Action: undefined, NotAction: "sts:TagSession" }),
    principal: admin,
    expected: "allow",
  },
  {
    name: "NotAction that names AssumeRole does not allow it",
    document: trust({ Principal: { AWS: root }, Action: undefined, NotAction: "sts:AssumeRole" }),
    principal: admin,
    expected: "implicit-deny",
  },
  {
    name: "a requested action other than AssumeRole",
    document: trust({ Principal: { AWS: root }, Action: ["sts:AssumeRole", "sts:TagSession"] }),
    principal: admin,
    action: "sts:TagSession",
    expected: "allow",
  },
  // Conditions
  {
    name: "a condition that holds",
    document: trust({
      Principal: { AWS: root },
      Condition: { StringLike: { "sts:RoleSessionName": "ci-*" } },
    }),
    principal: admin,
    context: { "sts:RoleSessionName": "ci-42" },
    expected: "allow",
  },
  {
    name: "a condition that does not hold",
    document: trust({
      Principal: { AWS: root },
      Condition: { StringLike: { "sts:RoleSessionName": "ci-*" } },
    }),
    principal: admin,
    context: { "sts:RoleSessionName": "laptop" },
    expected: "implicit-deny",
  },
  {
    name: "a condition key missing from the request",
    document: trust({
      Principal: { Service: "lambda.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    }),
    principal: lambda,
    expected: "implicit-deny",
  },
  // Documents
  {
    name: "an empty statement list trusts nobody",
    document: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
    principal: admin,
    expected: "implicit-deny",
  },
  {
    name: "text that is not a trust policy trusts nobody",
    document: "{not json",
    principal: lambda,
    expected: "implicit-deny",
  },
];

describe("Function: trustAllows", () => {
  it.each(cases)("$name", ({ document, principal, action, context, expected }) => {
    // Act
    const result = trustAllows(document, principal, {
      roleArn,
      ...(action ? { action } : {}),
      ...(context ? { context } : {}),
    });
    // Assess
    if (expected === "allow") expect(result).toEqual({ allowed: true });
    else expect(result).toEqual({ allowed: false, reason: expected });
  });

  it("accepts an already parsed document", () => {
    // Prepare
    const document = {
      Statement: [{ Effect: "Allow" as const, Principal: { AWS: account }, Action: "sts:AssumeRole" }],
    };
    // Act / Assess
    expect(trustAllows(document, admin).allowed).toBe(true);
    expect(trustAllows(document, lambda).allowed).toBe(false);
  });
});

describe("Function: lambdaMayAssume", () => {
  it("is true only for trust policies that let lambda.amazonaws.com assume the role", () => {
    expect(lambdaMayAssume(trust({ Principal: { Service: "lambda.amazonaws.com" } }))).toBe(true);
    expect(lambdaMayAssume(trust({ Principal: { Service: "ec2.amazonaws.com" } }))).toBe(false);
    expect(lambdaMayAssume(trust({ Principal: { AWS: root } }))).toBe(false);
  });
});
