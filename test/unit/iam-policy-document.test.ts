import { describe, expect, it } from "vitest";
import {
  type PolicyKind,
  parseConditionOperator,
  parseNewPolicyDocument,
  parsePolicyDocument,
  storedPoliciesKept,
  storedPolicyDocument,
} from "../../src/engine/policy/document.ts";
import { MalformedPolicyDocumentError } from "../../src/engine/policy/errors.ts";

const allowAll = { Effect: "Allow", Action: "*", Resource: "*" };
const trust = { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" };

describe("Function: parsePolicyDocument", () => {
  it("normalizes a single Statement object to a list", () => {
    const policy = parsePolicyDocument(
      JSON.stringify({ Version: "2012-10-17", Statement: allowAll }),
      "identity",
    );
    expect(policy.Statement).toEqual([allowAll]);
  });

  it("accepts a trust policy with a service principal", () => {
    expect(
      parsePolicyDocument(JSON.stringify({ Version: "2012-10-17", Statement: [trust] }), "trust").Statement,
    ).toHaveLength(1);
  });

  const invalid: Array<{ name: string; text: string; kind: PolicyKind; message: RegExp }> = [
    { name: "not JSON", text: "{", kind: "identity", message: /Syntax errors/ },
    { name: "a JSON array", text: "[]", kind: "identity", message: /Syntax errors/ },
    {
      name: "unknown top-level field",
      text: JSON.stringify({ Statement: [allowAll], Foo: 1 }),
      kind: "identity",
      message: /Syntax errors/,
    },
    {
      name: "bad version",
      text: JSON.stringify({ Version: "2020-01-01", Statement: [allowAll] }),
      kind: "identity",
      message: /valid version/,
    },
    {
      name: "no Statement",
      text: JSON.stringify({ Version: "2012-10-17" }),
      kind: "identity",
      message: /Statement/,
    },
    {
      name: "bad Effect",
      text: JSON.stringify({ Statement: [{ ...allowAll, Effect: "allow" }] }),
      kind: "identity",
      message: /Invalid effect/,
    },
    {
      name: "no Action",
      text: JSON.stringify({ Statement: [{ Effect: "Allow", Resource: "*" }] }),
      kind: "identity",
      message: /must contain actions/,
    },
    {
      name: "Action and NotAction",
      text: JSON.stringify({ Statement: [{ ...allowAll, NotAction: "s3:*" }] }),
      kind: "identity",
      message: /Syntax errors/,
    },
    {
      name: "action without vendor",
      text: JSON.stringify({ Statement: [{ ...allowAll, Action: "GetObject" }] }),
      kind: "identity",
      message: /prefaced by a vendor/,
    },
    {
      name: "identity policy without Resource",
      text: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*" }] }),
      kind: "identity",
      message: /must contain resources/,
    },
    {
      name: "resource not an ARN",
      text: JSON.stringify({ Statement: [{ ...allowAll, Resource: "bucket" }] }),
      kind: "identity",
      message: /ARN format/,
    },
    {
      name: "identity policy with Principal",
      text: JSON.stringify({ Statement: [{ ...allowAll, Principal: "*" }] }),
      kind: "identity",
      message: /principal/,
    },
    {
      name: "trust policy without Principal",
      text: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] }),
      kind: "trust",
      message: /Principal/,
    },
    {
      name: "trust policy with Resource",
      text: JSON.stringify({ Statement: [{ ...trust, Resource: "*" }] }),
      kind: "trust",
      message: /prohibited field Resource/,
    },
    {
      name: "unknown principal type",
      text: JSON.stringify({ Statement: [{ ...trust, Principal: { Robot: "x" } }] }),
      kind: "trust",
      message: /principal/,
    },
    {
      name: "unknown condition operator",
      text: JSON.stringify({ Statement: [{ ...allowAll, Condition: { StringSorta: { "aws:x": "y" } } }] }),
      kind: "identity",
      message: /Invalid Condition type/,
    },
    {
      name: "condition value of a wrong type",
      text: JSON.stringify({
        Statement: [{ ...allowAll, Condition: { StringEquals: { "aws:x": { a: 1 } } } }],
      }),
      kind: "identity",
      message: /Syntax errors/,
    },
    {
      name: "unknown statement field",
      text: JSON.stringify({ Statement: [{ ...allowAll, Actions: "s3:*" }] }),
      kind: "identity",
      message: /Syntax errors/,
    },
  ];
  it.each(invalid)("rejects $name", ({ text, kind, message }) => {
    expect(() => parsePolicyDocument(text, kind)).toThrow(MalformedPolicyDocumentError);
    expect(() => parsePolicyDocument(text, kind)).toThrow(message);
  });
});

describe("Function: parseConditionOperator", () => {
  it.each([
    ["StringEquals", { set: undefined, base: "StringEquals", ifExists: false }],
    ["StringLikeIfExists", { set: undefined, base: "StringLike", ifExists: true }],
    ["ForAnyValue:StringEquals", { set: "ForAnyValue", base: "StringEquals", ifExists: false }],
    ["ForAllValues:ArnLikeIfExists", { set: "ForAllValues", base: "ArnLike", ifExists: true }],
  ])("splits %s", (name, expected) => {
    expect(parseConditionOperator(name)).toEqual(expected);
  });

  it.each(["StringSorta", "NullIfExists", "ForSomeValues:StringEquals"])("rejects %s", (name) => {
    expect(parseConditionOperator(name)).toBeUndefined();
  });
});

describe("Function: parseNewPolicyDocument (IAM's grammar for a policy being written)", () => {
  const write = (document: unknown, kind: PolicyKind = "identity") =>
    parseNewPolicyDocument(JSON.stringify(document), kind);
  const v2012 = (statement: unknown) => ({ Version: "2012-10-17", Statement: statement });

  it("accepts what IAM accepts: a 2012-10-17 identity policy, a trust policy", () => {
    expect(write(v2012([allowAll])).Statement).toHaveLength(1);
    expect(write(v2012(trust), "trust").Statement).toHaveLength(1);
  });

  it.each([
    ["no Version", { Statement: [allowAll] }, "Policy document must be version 2012-10-17 or greater."],
    [
      "the 2008-10-17 language",
      { Version: "2008-10-17", Statement: [allowAll] },
      "Policy document must be version 2012-10-17 or greater.",
    ],
    ["an empty Statement list", v2012([]), "Syntax errors in policy."],
    ["an empty Action list", v2012([{ ...allowAll, Action: [] }]), "Policy statement must contain actions."],
    [
      "an empty Resource list",
      v2012([{ ...allowAll, Resource: [] }]),
      "Policy statement must contain resources.",
    ],
    [
      "two statements with one Sid",
      v2012([
        { ...allowAll, Sid: "A" },
        { ...allowAll, Sid: "A" },
      ]),
      "Statement IDs (SID) in a single policy must be unique.",
    ],
    [
      "an action with two colons",
      v2012([{ ...allowAll, Action: "s3:Get:Object" }]),
      "Actions/Condition can contain only one colon.",
    ],
    [
      "a vendor with a character IAM does not allow",
      v2012([{ ...allowAll, Action: "s3!:GetObject" }]),
      "Vendor s3! is not valid",
    ],
  ])("refuses %s with IAM's message", (_name, document, message) => {
    expect(() => write(document)).toThrowError(new MalformedPolicyDocumentError(message));
  });

  it("reads a stored document without the write-time rules (a store from before them still loads)", () => {
    expect(parsePolicyDocument(JSON.stringify({ Statement: [allowAll] }), "identity").Statement).toHaveLength(
      1,
    );
  });
});

describe("Function: storedPolicyDocument (stored policies, parsed once while recent)", () => {
  const policy = (n: number) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::bucket-${n}/*` }],
    });

  it("parses a text once and answers the same document after", () => {
    const first = storedPolicyDocument(policy(0), "identity");
    expect(storedPolicyDocument(policy(0), "identity")).toBe(first);
    expect(storedPolicyDocument(policy(1), "identity")).not.toBe(first);
  });

  it("keeps at most 1,024 however many texts a client stores one after another", () => {
    for (let n = 0; n < 3000; n++) {
      expect(storedPolicyDocument(policy(n), "identity").Statement[0]?.Resource).toBe(
        `arn:aws:s3:::bucket-${n}/*`,
      );
      expect(storedPoliciesKept()).toBeLessThanOrEqual(1024);
    }
  });

  it("keeps no failure: a malformed text throws each time", () => {
    const before = storedPoliciesKept();
    for (let n = 0; n < 2; n++)
      expect(() => storedPolicyDocument("not a policy", "identity")).toThrow(MalformedPolicyDocumentError);
    expect(storedPoliciesKept()).toBe(before);
  });
});
