import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
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
