import { describe, expect, it } from "vitest";
import { type PolicyStatement, parsePolicyDocument } from "../../src/engine/policy/document.ts";
import {
  evaluateIdentityPolicies,
  evaluateResourcePolicy,
  type RequestPrincipal,
} from "../../src/engine/policy/evaluate.ts";
import type { ConditionContext } from "../../src/engine/types.ts";

const table = "arn:aws:dynamodb:us-east-1:000000000000:table/images";
const bucketObject = "arn:aws:s3:::uploads/photos/cat.jpg";
const stream =
  "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:log-stream:2026/11/25/[$LATEST]abc";

function identity(...statements: Array<Partial<PolicyStatement>>) {
  const text = JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({ Effect: "Allow", ...s })),
  });
  return parsePolicyDocument(text, "identity");
}

interface Case {
  name: string;
  statements: Array<Partial<PolicyStatement>>;
  action: string;
  resource: string;
  context?: ConditionContext;
  expected: "allow" | "explicit-deny" | "implicit-deny";
}

const cases: Case[] = [
  // Effects and deny-wins
  {
    name: "allow on exact action and resource",
    statements: [{ Action: "dynamodb:PutItem", Resource: table }],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "no statement matches: implicit deny",
    statements: [{ Action: "dynamodb:PutItem", Resource: table }],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "implicit-deny",
  },
  {
    name: "empty policy set: implicit deny",
    statements: [],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  {
    name: "explicit deny wins over allow",
    statements: [
      { Action: "*", Resource: "*" },
      { Effect: "Deny", Action: "dynamodb:DeleteItem", Resource: table },
    ],
    action: "dynamodb:DeleteItem",
    resource: table,
    expected: "explicit-deny",
  },
  {
    name: "deny listed before allow still wins",
    statements: [
      { Effect: "Deny", Action: "s3:*", Resource: "*" },
      { Action: "s3:GetObject", Resource: bucketObject },
    ],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "explicit-deny",
  },
  {
    name: "deny on another resource does not block",
    statements: [
      { Action: "dynamodb:*", Resource: "*" },
      { Effect: "Deny", Action: "dynamodb:*", Resource: `${table}-archive` },
    ],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "deny alone is an explicit deny",
    statements: [{ Effect: "Deny", Action: "s3:GetObject", Resource: "*" }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "explicit-deny",
  },
  // Action wildcards and case
  {
    name: "action match is case-insensitive",
    statements: [{ Action: "DynamoDB:putitem", Resource: table }],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "service wildcard",
    statements: [{ Action: "dynamodb:*", Resource: table }],
    action: "dynamodb:Query",
    resource: table,
    expected: "allow",
  },
  {
    name: "prefix wildcard",
    statements: [{ Action: "s3:Get*", Resource: "*" }],
    action: "s3:GetObjectTagging",
    resource: bucketObject,
    expected: "allow",
  },
  {
    name: "prefix wildcard does not match other verbs",
    statements: [{ Action: "s3:Get*", Resource: "*" }],
    action: "s3:PutObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  {
    name: "? matches exactly one character",
    statements: [{ Action: "logs:PutLog?vents", Resource: "*" }],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "allow",
  },
  {
    name: "? does not match zero characters",
    statements: [{ Action: "logs:PutLogE?vents", Resource: "*" }],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "implicit-deny",
  },
  {
    name: "bare * matches every action",
    statements: [{ Action: "*", Resource: "*" }],
    action: "iam:CreateRole",
    resource: "arn:aws:iam::000000000000:role/x",
    expected: "allow",
  },
  {
    name: "action list: any entry matches",
    statements: [{ Action: ["s3:PutObject", "dynamodb:GetItem"], Resource: "*" }],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "other service with same verb does not match",
    statements: [{ Action: "s3:GetObject", Resource: "*" }],
    action: "s3express:GetObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  // NotAction
  {
    name: "NotAction allows everything else",
    statements: [{ NotAction: "iam:*", Resource: "*" }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "allow",
  },
  {
    name: "NotAction excludes the listed actions",
    statements: [{ NotAction: "iam:*", Resource: "*" }],
    action: "iam:PassRole",
    resource: "*",
    expected: "implicit-deny",
  },
  {
    name: "Deny with NotAction denies all but the listed",
    statements: [
      { Action: "*", Resource: "*" },
      { Effect: "Deny", NotAction: ["logs:*"], Resource: "*" },
    ],
    action: "s3:PutObject",
    resource: bucketObject,
    expected: "explicit-deny",
  },
  {
    name: "Deny with NotAction spares the listed",
    statements: [
      { Action: "*", Resource: "*" },
      { Effect: "Deny", NotAction: ["logs:*"], Resource: "*" },
    ],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "allow",
  },
  // Resources
  {
    name: "resource match is case-sensitive",
    statements: [{ Action: "dynamodb:PutItem", Resource: table.replace("images", "Images") }],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "implicit-deny",
  },
  {
    name: "resource wildcard spans slashes",
    statements: [{ Action: "s3:GetObject", Resource: "arn:aws:s3:::uploads/*" }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "allow",
  },
  {
    name: "bucket ARN does not cover objects",
    statements: [{ Action: "s3:GetObject", Resource: "arn:aws:s3:::uploads" }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  {
    name: "log-group :* covers its streams",
    statements: [
      {
        Action: "logs:PutLogEvents",
        Resource: "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:*",
      },
    ],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "allow",
  },
  {
    name: "log-group without :* does not cover streams",
    statements: [
      {
        Action: "logs:PutLogEvents",
        Resource: "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn",
      },
    ],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "implicit-deny",
  },
  {
    name: "? in resource",
    statements: [
      { Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/image?" },
    ],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "resource regex metacharacters are literal",
    statements: [
      {
        Action: "logs:*",
        Resource:
          "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:log-stream:2026/11/25/[$LATEST]*",
      },
    ],
    action: "logs:PutLogEvents",
    resource: stream,
    expected: "allow",
  },
  {
    name: "NotResource allows other resources",
    statements: [{ Action: "dynamodb:*", NotResource: `${table}-secret` }],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "NotResource excludes the listed",
    statements: [{ Action: "dynamodb:*", NotResource: [table] }],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "implicit-deny",
  },
  // Conditions: string operators
  {
    name: "StringEquals holds",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringEquals: { "s3:prefix": "photos/" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/" },
    expected: "allow",
  },
  {
    name: "StringEquals is case-sensitive",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringEquals: { "s3:prefix": "Photos/" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/" },
    expected: "implicit-deny",
  },
  {
    name: "condition key names are case-insensitive",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringEquals: { "S3:Prefix": "photos/" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/" },
    expected: "allow",
  },
  {
    name: "StringEquals with missing key is false",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringEquals: { "s3:prefix": "photos/" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    expected: "implicit-deny",
  },
  {
    name: "multiple values of a key are ORed",
    statements: [
      {
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { StringEquals: { "s3:prefix": ["docs/", "photos/"] } },
      },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/" },
    expected: "allow",
  },
  {
    name: "multiple keys are ANDed",
    statements: [
      {
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { StringEquals: { "s3:prefix": "photos/", "aws:SourceAccount": "111111111111" } },
      },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/", "aws:SourceAccount": "000000000000" },
    expected: "implicit-deny",
  },
  {
    name: "multiple operators are ANDed",
    statements: [
      {
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { StringLike: { "s3:prefix": "photos/*" }, Bool: { "aws:SecureTransport": "true" } },
      },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/2026", "aws:SecureTransport": "true" },
    expected: "allow",
  },
  {
    name: "StringNotEquals holds for another value",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } },
      },
    ],
    action: "dynamodb:PutItem",
    resource: table,
    context: { "aws:RequestedRegion": "us-east-1" },
    expected: "allow",
  },
  {
    name: "StringNotEquals fails on a listed value",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } },
      },
    ],
    action: "dynamodb:PutItem",
    resource: table,
    context: { "aws:RequestedRegion": "us-east-1" },
    expected: "implicit-deny",
  },
  {
    name: "StringNotEquals with missing key is true",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } },
      },
    ],
    action: "dynamodb:PutItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "StringLike with * and ?",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringLike: { "s3:prefix": "ph?tos/*" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/a/b" },
    expected: "allow",
  },
  {
    name: "StringLike no match",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringLike: { "s3:prefix": "docs/*" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/a" },
    expected: "implicit-deny",
  },
  {
    name: "StringNotLike holds when nothing matches",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringNotLike: { "s3:prefix": "private/*" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/a" },
    expected: "allow",
  },
  {
    name: "StringNotLike fails on a match",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringNotLike: { "s3:prefix": "private/*" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "private/a" },
    expected: "implicit-deny",
  },
  {
    name: "StringNotLike with missing key is true",
    statements: [
      { Action: "s3:ListBucket", Resource: "*", Condition: { StringNotLike: { "s3:prefix": "private/*" } } },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    expected: "allow",
  },
  {
    name: "StringEqualsIgnoreCase",
    statements: [
      {
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { StringEqualsIgnoreCase: { "s3:prefix": "PHOTOS/" } },
      },
    ],
    action: "s3:ListBucket",
    resource: "arn:aws:s3:::uploads",
    context: { "s3:prefix": "photos/" },
    expected: "allow",
  },
  // ARN operators
  {
    name: "ArnLike with wildcard per segment",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::upload*" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "arn:aws:s3:::uploads" },
    expected: "allow",
  },
  {
    name: "ArnLike wildcard does not cross segments",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnLike: { "aws:SourceArn": "arn:aws:*:::uploads" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "arn:aws:s3:us-east-1::uploads" },
    expected: "implicit-deny",
  },
  {
    name: "ArnEquals exact",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::uploads" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "arn:aws:s3:::uploads" },
    expected: "allow",
  },
  {
    name: "ArnEquals on a non-ARN value is false",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::uploads" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "uploads" },
    expected: "implicit-deny",
  },
  {
    name: "ArnNotEquals holds for another ARN",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:SourceArn": "arn:aws:s3:::other" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "arn:aws:s3:::uploads" },
    expected: "allow",
  },
  {
    name: "ArnNotLike fails on a match",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnNotLike: { "aws:SourceArn": "arn:aws:s3:::up*" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    context: { "aws:SourceArn": "arn:aws:s3:::uploads" },
    expected: "implicit-deny",
  },
  {
    name: "ArnNotLike with missing key is true",
    statements: [
      {
        Action: "lambda:InvokeFunction",
        Resource: "*",
        Condition: { ArnNotLike: { "aws:SourceArn": "arn:aws:s3:::up*" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    expected: "allow",
  },
  // Bool, IfExists, Null, numeric
  {
    name: "Bool true",
    statements: [{ Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": true } } }],
    action: "s3:GetObject",
    resource: bucketObject,
    context: { "aws:SecureTransport": "true" },
    expected: "allow",
  },
  {
    name: "Bool false does not match true",
    statements: [{ Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }],
    action: "s3:GetObject",
    resource: bucketObject,
    context: { "aws:SecureTransport": "true" },
    expected: "implicit-deny",
  },
  {
    name: "Bool with missing key is false",
    statements: [{ Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  {
    name: "deny on Bool false applies when false",
    statements: [
      { Action: "s3:*", Resource: "*" },
      {
        Effect: "Deny",
        Action: "s3:*",
        Resource: "*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
    action: "s3:GetObject",
    resource: bucketObject,
    context: { "aws:SecureTransport": "false" },
    expected: "explicit-deny",
  },
  {
    name: "deny on Bool false skipped when key missing",
    statements: [
      { Action: "s3:*", Resource: "*" },
      {
        Effect: "Deny",
        Action: "s3:*",
        Resource: "*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "allow",
  },
  {
    name: "StringEqualsIfExists with missing key is true",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { StringEqualsIfExists: { "dynamodb:Select": "SPECIFIC_ATTRIBUTES" } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "StringEqualsIfExists with present key compares",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { StringEqualsIfExists: { "dynamodb:Select": "SPECIFIC_ATTRIBUTES" } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Select": "ALL_ATTRIBUTES" },
    expected: "implicit-deny",
  },
  {
    name: "ArnLikeIfExists with missing key is true",
    statements: [
      {
        Action: "lambda:*",
        Resource: "*",
        Condition: { ArnLikeIfExists: { "aws:SourceArn": "arn:aws:s3:::x" } },
      },
    ],
    action: "lambda:InvokeFunction",
    resource: "*",
    expected: "allow",
  },
  {
    name: "Null true requires absence",
    statements: [{ Action: "s3:*", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "true" } } }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "allow",
  },
  {
    name: "Null false requires presence",
    statements: [{ Action: "s3:*", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "false" } } }],
    action: "s3:GetObject",
    resource: bucketObject,
    expected: "implicit-deny",
  },
  {
    name: "NumericLessThan",
    statements: [
      {
        Action: "s3:ListBucket",
        Resource: "*",
        Condition: { NumericLessThanEquals: { "s3:max-keys": "10" } },
      },
    ],
    action: "s3:ListBucket",
    resource: "*",
    context: { "s3:max-keys": "10" },
    expected: "allow",
  },
  // Set operators
  {
    name: "ForAnyValue:StringEquals any overlap",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAnyValue:StringEquals": { "dynamodb:Attributes": ["pk", "sk"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Attributes": ["sk", "secret"] },
    expected: "allow",
  },
  {
    name: "ForAnyValue on missing key is false",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAnyValue:StringEquals": { "dynamodb:Attributes": ["pk"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "implicit-deny",
  },
  {
    name: "ForAllValues:StringEquals subset holds",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAllValues:StringEquals": { "dynamodb:Attributes": ["pk", "sk", "size"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Attributes": ["pk", "size"] },
    expected: "allow",
  },
  {
    name: "ForAllValues:StringEquals fails on an extra value",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAllValues:StringEquals": { "dynamodb:Attributes": ["pk", "sk"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Attributes": ["pk", "secret"] },
    expected: "implicit-deny",
  },
  {
    name: "ForAllValues on missing key is true",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAllValues:StringEquals": { "dynamodb:Attributes": ["pk"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    expected: "allow",
  },
  {
    name: "ForAnyValue:StringNotEquals holds when one value is unlisted",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAnyValue:StringNotEquals": { "dynamodb:Attributes": ["pk"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Attributes": ["pk", "sk"] },
    expected: "allow",
  },
  {
    name: "ForAllValues:StringLike with wildcards",
    statements: [
      {
        Action: "dynamodb:*",
        Resource: "*",
        Condition: { "ForAllValues:StringLike": { "dynamodb:Attributes": ["meta.*"] } },
      },
    ],
    action: "dynamodb:GetItem",
    resource: table,
    context: { "dynamodb:Attributes": ["meta.size", "meta.type"] },
    expected: "allow",
  },
];

describe("Function: evaluateIdentityPolicies", () => {
  it.each(cases)("$name", ({ statements, action, resource, context, expected }) => {
    // Prepare
    const policies = statements.length === 0 ? [] : [identity(...statements)];
    // Act
    const result = evaluateIdentityPolicies(policies, { action, resource, ...(context ? { context } : {}) });
    // Assess
    expect(result).toEqual(expected === "allow" ? { allowed: true } : { allowed: false, reason: expected });
  });

  it("combines statements across several policies (inline and attached)", () => {
    const allow = identity({ Action: "logs:*", Resource: "*" });
    const deny = identity({ Effect: "Deny", Action: "logs:DeleteLogGroup", Resource: "*" });
    expect(
      evaluateIdentityPolicies([allow, deny], { action: "logs:PutLogEvents", resource: stream }),
    ).toEqual({ allowed: true });
    expect(
      evaluateIdentityPolicies([allow, deny], { action: "logs:DeleteLogGroup", resource: stream }),
    ).toEqual({
      allowed: false,
      reason: "explicit-deny",
    });
  });
});

describe("Function: evaluateResourcePolicy", () => {
  const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:thumbs";
  const s3Policy = parsePolicyDocument(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "s3invoke",
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: "lambda:InvokeFunction",
          Resource: functionArn,
          Condition: {
            StringEquals: { "AWS:SourceAccount": "000000000000" },
            ArnLike: { "AWS:SourceArn": "arn:aws:s3:::uploads" },
          },
        },
      ],
    }),
    "resource",
  );
  const s3Context = { "aws:SourceAccount": "000000000000", "aws:SourceArn": "arn:aws:s3:::uploads" };

  const principalCases: Array<{
    name: string;
    principal: RequestPrincipal;
    context: ConditionContext;
    allowed: boolean;
  }> = [
    {
      name: "service principal with matching conditions",
      principal: { service: "s3.amazonaws.com" },
      context: s3Context,
      allowed: true,
    },
    {
      name: "other service principal",
      principal: { service: "sns.amazonaws.com" },
      context: s3Context,
      allowed: false,
    },
    {
      name: "wrong source bucket",
      principal: { service: "s3.amazonaws.com" },
      context: { ...s3Context, "aws:SourceArn": "arn:aws:s3:::other" },
      allowed: false,
    },
    {
      name: "missing source account",
      principal: { service: "s3.amazonaws.com" },
      context: { "aws:SourceArn": "arn:aws:s3:::uploads" },
      allowed: false,
    },
    {
      name: "an AWS principal is not the service",
      principal: { aws: "arn:aws:iam::000000000000:root" },
      context: s3Context,
      allowed: false,
    },
  ];
  it.each(principalCases)("$name", ({ principal, context, allowed }) => {
    const result = evaluateResourcePolicy(s3Policy, principal, {
      action: "lambda:InvokeFunction",
      resource: functionArn,
      context,
    });
    expect(result.allowed).toBe(allowed);
  });

  function policyWith(principal: unknown, effect = "Allow") {
    return parsePolicyDocument(
      JSON.stringify({
        Statement: [{ Effect: effect, Principal: principal, Action: "lambda:InvokeFunction", Resource: "*" }],
      }),
      "resource",
    );
  }
  const invoke = { action: "lambda:InvokeFunction", resource: functionArn };

  it('allows anyone with Principal "*"', () => {
    expect(evaluateResourcePolicy(policyWith("*"), { service: "s3.amazonaws.com" }, invoke).allowed).toBe(
      true,
    );
    expect(
      evaluateResourcePolicy(policyWith({ AWS: "*" }), { aws: "arn:aws:iam::123456789012:root" }, invoke)
        .allowed,
    ).toBe(true);
  });

  it("treats an account id as the account root, covering its roles' sessions", () => {
    const policy = policyWith({ AWS: "000000000000" });
    expect(evaluateResourcePolicy(policy, { aws: "arn:aws:iam::000000000000:root" }, invoke).allowed).toBe(
      true,
    );
    expect(
      evaluateResourcePolicy(policy, { aws: "arn:aws:sts::000000000000:assumed-role/r/s" }, invoke).allowed,
    ).toBe(true);
    expect(evaluateResourcePolicy(policy, { aws: "arn:aws:iam::111111111111:root" }, invoke).allowed).toBe(
      false,
    );
  });

  it("matches a role ARN against that role's sessions only", () => {
    const policy = policyWith({ AWS: ["arn:aws:iam::000000000000:role/service-role/uploader"] });
    expect(
      evaluateResourcePolicy(policy, { aws: "arn:aws:sts::000000000000:assumed-role/uploader/s1" }, invoke)
        .allowed,
    ).toBe(true);
    expect(
      evaluateResourcePolicy(policy, { aws: "arn:aws:sts::000000000000:assumed-role/other/s1" }, invoke)
        .allowed,
    ).toBe(false);
  });

  it("lets a Deny for the principal win", () => {
    const policy = parsePolicyDocument(
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "lambda:*", Resource: "*" },
          {
            Effect: "Deny",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "lambda:InvokeFunction",
            Resource: "*",
          },
        ],
      }),
      "resource",
    );
    expect(evaluateResourcePolicy(policy, { service: "s3.amazonaws.com" }, invoke)).toEqual({
      allowed: false,
      reason: "explicit-deny",
    });
    expect(evaluateResourcePolicy(policy, { service: "sns.amazonaws.com" }, invoke)).toEqual({
      allowed: true,
    });
  });

  it("applies NotPrincipal to everyone else", () => {
    const policy = parsePolicyDocument(
      JSON.stringify({
        Statement: [
          { Effect: "Deny", NotPrincipal: { Service: "s3.amazonaws.com" }, Action: "*", Resource: "*" },
        ],
      }),
      "resource",
    );
    expect(evaluateResourcePolicy(policy, { service: "sns.amazonaws.com" }, invoke).allowed).toBe(false);
    expect(evaluateResourcePolicy(policy, { service: "s3.amazonaws.com" }, invoke)).toEqual({
      allowed: false,
      reason: "implicit-deny",
    });
  });
});
