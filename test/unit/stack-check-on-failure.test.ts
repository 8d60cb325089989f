import { describe, expect, it } from "vitest";
import { type CheckResult, checkStack, type ObservedStack } from "../../src/stack/check.ts";
import { desiredLambdaNotification } from "../../src/stack/compare.ts";
import { defineStack, type PolicyStatement } from "../../src/stack/spec.ts";
import { sqsGrants } from "../../src/stack/sqs-grants.ts";

const stack = defineStack();
const sha = "c2hh";

/** A target that is exactly the spec: every check passes. */
function observedAsSpecified(): ObservedStack {
  return {
    identity: { account: stack.accountId, arn: "arn:aws:iam::000000000000:root", region: stack.region },
    table: {
      keys: { HASH: "PK", RANGE: "SK" },
      attributeTypes: { PK: "S", SK: "S" },
      billingMode: "PAY_PER_REQUEST",
      status: "ACTIVE",
    },
    bucket: {
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
      encryptionAlgorithms: ["AES256"],
      lambdaNotifications: [desiredLambdaNotification(stack)],
    },
    function: {
      runtime: stack.runtime,
      handler: stack.handler,
      role: stack.arns.role,
      codeSha256: sha,
      state: "Active",
      environment: stack.environment,
    },
    role: {
      trustPolicy: structuredClone(stack.trustPolicy),
      inlinePolicies: { [stack.policyName]: structuredClone(stack.executionPolicy) },
      attachedPolicyArns: [],
    },
    resourcePolicyStatements: [
      {
        Sid: stack.invokePermission.statementId,
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "lambda:InvokeFunction",
        Resource: stack.arns.function,
        Condition: {
          ArnLike: { "AWS:SourceArn": stack.arns.bucket },
          StringEquals: { "AWS:SourceAccount": stack.accountId },
        },
      },
    ],
    logGroup: { retentionInDays: 14 },
    onFailureQueue: {
      arn: stack.arns.onFailureQueue,
      retentionSeconds: 1_209_600,
      messages: 0,
      policy: null,
    },
    eventInvokeConfig: { maximumRetryAttempts: 2, onFailure: stack.arns.onFailureQueue },
  };
}

const byId = (results: CheckResult[], id: string) => {
  const found = results.find((r) => r.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
};

/** The observed stack's queue, which the fixture always has. */
const queueOf = (observed: ObservedStack) =>
  observed.onFailureQueue as NonNullable<ObservedStack["onFailureQueue"]>;

/** The statements of the role's own policy in an observed stack. */
const statementsOf = (observed: ObservedStack) =>
  (
    (observed.role as NonNullable<ObservedStack["role"]>).inlinePolicies[stack.policyName] as {
      Statement: PolicyStatement[];
    }
  ).Statement;

/** The observed stack with one more statement in the role's own policy. */
function withStatement(statement: PolicyStatement): ObservedStack {
  const observed = observedAsSpecified();
  statementsOf(observed).push(statement);
  return observed;
}

describe("Function: checkStack (on-failure queue, destination, least privilege on SQS)", () => {
  it("passes every check on a target that is exactly the spec", () => {
    // Act
    const results = checkStack(observedAsSpecified(), stack, sha);

    // Assess
    expect(results.filter((r) => !r.ok).map((r) => r.id)).toEqual([]);
    expect(byId(results, "least-privilege").observed).toContain("sqs:SendMessage on own queue");
    expect(byId(results, "on-failure-destination").observed).toBe(
      `retries 2, on failure -> ${stack.arns.onFailureQueue}; role may send to the queue`,
    );
  });

  it.each<[string, PolicyStatement]>([
    [
      "ReceiveMessage on its own queue",
      { Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: stack.arns.onFailureQueue },
    ],
    ["sqs:* on its own queue", { Effect: "Allow", Action: "sqs:*", Resource: stack.arns.onFailureQueue }],
    ["SendMessage to every queue", { Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }],
    [
      "SendMessage to another queue",
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:000000000000:other" },
    ],
    ["a wildcard service", { Effect: "Allow", Action: "s*:Delete*", Resource: stack.arns.onFailureQueue }],
    ["every action", { Effect: "Allow", Action: "*", Resource: "*" }],
    ["NotAction", { Effect: "Allow", NotAction: "iam:*", Resource: "*" } as unknown as PolicyStatement],
  ])("fails least privilege when the role may %s", (_, statement) => {
    // Act
    const check = byId(checkStack(withStatement(statement), stack, sha), "least-privilege");

    // Assess
    expect(check.ok).toBe(false);
    expect(check.observed).toMatch(/^role may .* beyond sqs:SendMessage to image-metadata-ingest-failures/);
  });

  it("fails least privilege for SQS rights from a second inline policy or an attached managed policy", () => {
    // Prepare
    const extraInline = observedAsSpecified();
    (extraInline.role as NonNullable<ObservedStack["role"]>).inlinePolicies.extra = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["sqs:DeleteMessage"], Resource: stack.arns.onFailureQueue }],
    };
    const attached = observedAsSpecified();
    (attached.role as NonNullable<ObservedStack["role"]>).attachedPolicyArns = [
      "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
    ];

    // Act
    const inlineCheck = byId(checkStack(extraInline, stack, sha), "least-privilege");
    const attachedCheck = byId(checkStack(attached, stack, sha), "least-privilege");

    // Assess
    expect(inlineCheck.ok).toBe(false);
    expect(inlineCheck.observed).toContain(`sqs:DeleteMessage on ${stack.arns.onFailureQueue}`);
    expect(attachedCheck.ok).toBe(false);
    expect(attachedCheck.observed).toContain("AmazonSQSFullAccess");
  });

  it("fails least privilege when the SendMessage grant carries a condition the spec did not write", () => {
    const observed = observedAsSpecified();
    const send = statementsOf(observed).find((s) => s.Action === "sqs:SendMessage") as PolicyStatement;
    send.Condition = { StringEquals: { "aws:SourceAccount": stack.accountId } };

    expect(byId(checkStack(observed, stack, sha), "least-privilege").ok).toBe(false);
  });

  it.each<[string, (o: ObservedStack) => void, RegExp]>([
    [
      "the queue is missing",
      (o) => {
        o.onFailureQueue = null;
      },
      /^missing$/,
    ],
    [
      "the retention is SQS's default of 4 days",
      (o) => {
        queueOf(o).retentionSeconds = 345_600;
      },
      /retention 345600 s/,
    ],
    [
      "the queue has a policy",
      (o) => {
        queueOf(o).policy = { Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:*" }] };
      },
      /has a queue policy/,
    ],
  ])("fails the queue check when %s", (_, change, observedText) => {
    const observed = observedAsSpecified();
    change(observed);

    const check = byId(checkStack(observed, stack, sha), "on-failure-queue");

    expect(check.ok).toBe(false);
    expect(check.observed).toMatch(observedText);
  });

  it.each<[string, (o: ObservedStack) => void, RegExp]>([
    ["there is no event invoke config", (o) => (o.eventInvokeConfig = null), /no event invoke config/],
    [
      "failures go elsewhere",
      (o) => (o.eventInvokeConfig = { maximumRetryAttempts: 2, onFailure: "arn:aws:sqs:us-east-1:0:x" }),
      /on failure -> arn:aws:sqs:us-east-1:0:x/,
    ],
    [
      "there are no retries",
      (o) => (o.eventInvokeConfig = { maximumRetryAttempts: 0, onFailure: stack.arns.onFailureQueue }),
      /retries 0/,
    ],
    [
      "the role may not send to the queue",
      (o) => {
        const statements = statementsOf(o);
        statements.splice(
          statements.findIndex((s) => s.Action === "sqs:SendMessage"),
          1,
        );
      },
      /role may not send/,
    ],
  ])("fails the destination check when %s", (_, change, observedText) => {
    const observed = observedAsSpecified();
    change(observed);

    const check = byId(checkStack(observed, stack, sha), "on-failure-destination");

    expect(check.ok).toBe(false);
    expect(check.observed).toMatch(observedText);
  });
});

describe("Function: sqsGrants", () => {
  it("lists SQS grants of Allow statements only, as written", () => {
    const grants = sqsGrants([
      {
        Statement: [
          { Effect: "Allow", Action: ["s3:GetObject", "sqs:SendMessage"], Resource: ["arn:q1", "arn:q2"] },
          { Effect: "Deny", Action: "sqs:*", Resource: "*" },
          { Effect: "Allow", Action: "SQS:Receive*", Resource: "arn:q1", Condition: { Bool: { x: "true" } } },
        ],
      },
      { Statement: { Effect: "Allow", NotAction: "sqs:*", Resource: "*" } },
      undefined,
    ]);

    expect(grants).toEqual([
      { action: "sqs:SendMessage", resource: "arn:q1", conditional: false },
      { action: "sqs:SendMessage", resource: "arn:q2", conditional: false },
      { action: "SQS:Receive*", resource: "arn:q1", conditional: true },
    ]);
  });
});
