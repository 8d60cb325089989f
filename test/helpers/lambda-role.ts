import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  type LambdaClient,
  waitUntilFunctionActiveV2,
} from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { defineStack, type PolicyDocument } from "../../src/stack/spec.ts";

/**
 * Creates a role Lambda may assume (the stack's own trust policy), with an optional inline policy, on the engine
 * at `endpoint`; returns its ARN.
 */
export async function createLambdaRole(
  endpoint: string,
  roleName: string,
  inlinePolicy?: PolicyDocument,
): Promise<string> {
  const iam = new IAMClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  try {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(defineStack().trustPolicy),
      }),
    );
    if (inlinePolicy) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: "inline",
          PolicyDocument: JSON.stringify(inlinePolicy),
        }),
      );
    }
    return Role?.Arn as string;
  } finally {
    iam.destroy();
  }
}

/** The zip of a one-file ES module function whose handler is `async (event) => { <body> }`. */
function inlineFunctionZip(body: string): Uint8Array {
  return zipSync({ "index.mjs": strToU8(`export const handler = async (event) => { ${body} };`) });
}

/** Creates a `nodejs22.x` function from an inline handler body with `role`, and waits until it is Active. */
export async function createInlineFunction(
  lambda: LambdaClient,
  name: string,
  role: string,
  body: string,
  extra: Partial<CreateFunctionCommandInput> = {},
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: role,
      Handler: "index.handler",
      Code: { ZipFile: inlineFunctionZip(body) },
      ...extra,
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: name });
}
