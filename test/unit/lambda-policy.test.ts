import { describe, expect, it } from "vitest";
import { type PolicyStatement, renderPolicy, renderStatement } from "../../src/engine/lambda/policy.ts";
import { parsePolicyDocument } from "../../src/engine/policy/document.ts";
import { evaluateResourcePolicy } from "../../src/engine/policy/evaluate.ts";
import type { ConditionContext } from "../../src/engine/types.ts";

const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:ingest";

describe("Function: renderStatement", () => {
  it("renders an S3 permission exactly as AWS's GetPolicy shows it", () => {
    // Act
    const statement = renderStatement(
      {
        StatementId: "s3invoke",
        Action: "lambda:InvokeFunction",
        Principal: "s3.amazonaws.com",
        SourceArn: "arn:aws:s3:::photos",
        SourceAccount: "000000000000",
      },
      functionArn,
    );

    // Assess
    expect(JSON.stringify(statement)).toBe(
      '{"Sid":"s3invoke","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",' +
        `"Resource":"${functionArn}","Condition":{"StringEquals":{"AWS:SourceAccount":"000000000000"},` +
        '"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::photos"}}}',
    );
  });

  it("omits Condition when there is no source", () => {
    // Act
    const statement = renderStatement(
      { StatementId: "any", Action: "lambda:*", Principal: "*" },
      functionArn,
    );

    // Assess
    expect(statement).toEqual({
      Sid: "any",
      Effect: "Allow",
      Principal: "*",
      Action: "lambda:*",
      Resource: functionArn,
    });
  });

  it("renders an account principal as its root ARN", () => {
    // Act
    const statement = renderStatement(
      { StatementId: "acct", Action: "lambda:InvokeFunction", Principal: "111122223333" },
      functionArn,
    );

    // Assess
    expect(statement.Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
  });
});

describe("Function: renderPolicy", () => {
  it("wraps statements in the default policy document", () => {
    // Prepare
    const statement = renderStatement(
      { StatementId: "a", Action: "lambda:InvokeFunction", Principal: "*" },
      functionArn,
    );

    // Act
    const policy = JSON.parse(renderPolicy([statement]));

    // Assess
    expect(policy).toEqual({ Version: "2012-10-17", Id: "default", Statement: [statement] });
  });
});

/** A function policy as S3 → Lambda delivery evaluates it: rendered as GetPolicy shows it, then IAM's evaluator. */
function allows(
  statements: PolicyStatement[],
  principalService: string,
  action: string,
  resource: string,
  context: ConditionContext,
): boolean {
  const policy = parsePolicyDocument(renderPolicy(statements), "resource");
  return evaluateResourcePolicy(policy, { service: principalService }, { action, resource, context }).allowed;
}

describe("Function: evaluateResourcePolicy (IAM's), on rendered function policies", () => {
  const s3Statement = renderStatement(
    {
      StatementId: "s3",
      Action: "lambda:InvokeFunction",
      Principal: "s3.amazonaws.com",
      SourceArn: "arn:aws:s3:::photos",
      SourceAccount: "000000000000",
    },
    functionArn,
  );
  const context = { "aws:SourceArn": "arn:aws:s3:::photos", "aws:SourceAccount": "000000000000" };

  it("allows the service from the named bucket and account", () => {
    // Act
    const allowed = allows([s3Statement], "s3.amazonaws.com", "lambda:InvokeFunction", functionArn, context);

    // Assess
    expect(allowed).toBe(true);
  });

  it.each([
    ["another bucket", { ...context, "aws:SourceArn": "arn:aws:s3:::other" }],
    ["another account", { ...context, "aws:SourceAccount": "111122223333" }],
    ["a missing source", { "aws:SourceAccount": "000000000000" }],
  ])("refuses %s", (_label, conditions) => {
    // Act
    const allowed = allows(
      [s3Statement],
      "s3.amazonaws.com",
      "lambda:InvokeFunction",
      functionArn,
      conditions,
    );

    // Assess
    expect(allowed).toBe(false);
  });

  it("refuses other principals and an empty policy", () => {
    // Act
    const otherPrincipal = allows(
      [s3Statement],
      "sns.amazonaws.com",
      "lambda:InvokeFunction",
      functionArn,
      context,
    );
    const empty = allows([], "s3.amazonaws.com", "lambda:InvokeFunction", functionArn, context);

    // Assess
    expect(otherPrincipal).toBe(false);
    expect(empty).toBe(false);
  });

  it("matches condition keys case-insensitively and SourceArn with wildcards", () => {
    // Prepare
    const wildcard = renderStatement(
      {
        StatementId: "w",
        Action: "lambda:InvokeFunction",
        Principal: "s3.amazonaws.com",
        SourceArn: "arn:aws:s3:::photo*",
      },
      functionArn,
    );

    // Act
    const allowed = allows([wildcard], "s3.amazonaws.com", "lambda:InvokeFunction", functionArn, {
      "AWS:SOURCEARN": "arn:aws:s3:::photos-2026",
    });

    // Assess
    expect(allowed).toBe(true);
  });

  it("lets a Deny win over an Allow", () => {
    // Prepare
    const deny = { ...s3Statement, Sid: "deny", Effect: "Deny" as const };

    // Act
    const allowed = allows(
      [s3Statement, deny],
      "s3.amazonaws.com",
      "lambda:InvokeFunction",
      functionArn,
      context,
    );

    // Assess
    expect(allowed).toBe(false);
  });
});
