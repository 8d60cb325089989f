import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AddPermissionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { strToU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { createInlineFunction, createLambdaRole } from "../helpers/lambda-role.ts";
import { failure } from "../helpers/s3.ts";

/**
 * A role's call decided as AWS does within one account, by the engine's one authorization path
 * (src/engine/policy/authorize.ts): the role's identity policies together with the resource's own policy (a
 * function's AddPermission statements, a queue's Policy), an explicit Deny in either winning, an Allow in either
 * sufficing. Through the real SDK v3 clients, with credentials issued for the role.
 */

const account = "000000000000";
const functionArn = `arn:aws:lambda:us-east-1:${account}:function:policy-echo`;
const queueArn = `arn:aws:sqs:us-east-1:${account}:policy-guarded`;
const admin = { accessKeyId: "test", secretAccessKey: "test" };

let engine: Engine;
let lambda: LambdaClient;
let roleArn: string;

beforeAll(async () => {
  engine = await startEngine({ port: 0 });
  lambda = new LambdaClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: admin });
  roleArn = await createLambdaRole(engine.endpoint, "policy-caller", {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "logs:*", Resource: "*" },
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn },
    ],
  });
  await createInlineFunction(lambda, "policy-echo", roleArn, "return { echoed: event };");
});

afterAll(async () => {
  lambda?.destroy();
  await engine?.stop();
});

describe("Lambda Invoke by a role: identity policies with the function's policy", () => {
  it("refuses the role until the function's policy names it, and lets the role's explicit Deny win", async () => {
    // Prepare
    const keys = engine.context.credentials.issueForRole(roleArn, "caller");
    const asRole = new LambdaClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: keys });
    const invoke = () =>
      asRole.send(new InvokeCommand({ FunctionName: "policy-echo", Payload: strToU8('{"n":1}') }));
    try {
      // Act: no policy allows it yet.
      const refused = await failure(invoke());
      // The function's policy names the role (same account): enough without an identity policy.
      await lambda.send(
        new AddPermissionCommand({
          FunctionName: "policy-echo",
          StatementId: "role-invoke",
          Action: "lambda:InvokeFunction",
          Principal: roleArn,
        }),
      );
      const answered = await invoke();
      // An explicit Deny in the role's identity policies wins over the function's Allow.
      const iam = new IAMClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: admin });
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "policy-caller",
          PolicyName: "deny-invoke",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Deny", Action: "lambda:InvokeFunction", Resource: "*" }],
          }),
        }),
      );
      iam.destroy();
      const denied = await failure(invoke());

      // Assess
      expect(refused).toMatchObject({ name: "AccessDeniedException", status: 403 });
      expect(refused.error.message).toBe(
        `User: arn:aws:sts::${account}:assumed-role/policy-caller/caller is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no identity-based policy allows the lambda:InvokeFunction action`,
      );
      expect(answered.StatusCode).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(answered.Payload))).toEqual({ echoed: { n: 1 } });
      expect(denied.name).toBe("AccessDeniedException");
      expect(denied.error.message).toMatch(/with an explicit deny in an identity-based policy$/);
    } finally {
      asRole.destroy();
    }
  });
});

describe("SQS SendMessage by a role: a Deny in the queue's policy", () => {
  it("overrides the Allow in the role's own policies", async () => {
    // Prepare: the role's identity policy allows sending; the queue's policy denies the role.
    const sqs = new SQSClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: admin });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "policy-guarded" }));
    const keys = engine.context.credentials.issueForRole(roleArn, "sender");
    const asRole = new SQSClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: keys });
    const send = () => asRole.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    try {
      // Act
      const before = await send();
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl,
          Attributes: {
            Policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Deny",
                  Principal: { AWS: roleArn },
                  Action: "sqs:SendMessage",
                  Resource: queueArn,
                },
              ],
            }),
          },
        }),
      );
      const denied = await failure(send());

      // Assess
      expect(before.MessageId).toBeTruthy();
      expect(denied).toMatchObject({ name: "AccessDenied", status: 403 });
      expect(denied.error.message).toBe(
        `User: arn:aws:sts::${account}:assumed-role/policy-caller/sender is not authorized to perform: sqs:sendmessage on resource: ${queueArn} with an explicit deny in a resource-based policy`,
      );
    } finally {
      asRole.destroy();
      sqs.destroy();
    }
  });
});
