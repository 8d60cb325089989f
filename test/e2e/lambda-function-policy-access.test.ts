import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AddPermissionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { strToU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { createInlineFunction, createLambdaRole } from "../helpers/lambda-role.ts";
import { failure } from "../helpers/s3.ts";

/**
 * Lambda over HTTP decides a role's Invoke as AWS does within one account: the role's identity policies together
 * with the function's resource-based policy (AddPermission), an explicit Deny in either winning. Through the real
 * @aws-sdk/client-lambda, with credentials issued for the role.
 */

const account = "000000000000";
const functionArn = `arn:aws:lambda:us-east-1:${account}:function:policy-echo`;
const admin = { accessKeyId: "test", secretAccessKey: "test" };

let engine: Engine;
let lambda: LambdaClient;
let roleArn: string;

beforeAll(async () => {
  engine = await startEngine({ port: 0 });
  lambda = new LambdaClient({ endpoint: engine.endpoint, region: "us-east-1", credentials: admin });
  roleArn = await createLambdaRole(engine.endpoint, "policy-caller", {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }],
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
