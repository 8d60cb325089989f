import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";

/** A role session's keys, as the SDK's static credentials (without the Expiration, which the SDK would enforce). */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A policy allowing every action on every resource. */
export const allowEverything = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

/**
 * Makes a role the account (000000000000) may assume, with `inlinePolicy` if given, on the engine at `endpoint`, as
 * the administrator, and assumes it: its session's keys and their expiry (ms since the epoch).
 */
export async function assumeAccountRole(
  endpoint: string,
  options: { roleName: string; sessionName: string; durationSeconds?: number; inlinePolicy?: object },
): Promise<{ session: RoleSession; expiration: number }> {
  const config = { endpoint, region: "us-east-1", credentials: EMULATOR_CREDENTIALS };
  const iam = new IAMClient(config);
  const sts = new STSClient(config);
  try {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: options.roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::000000000000:root" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
    if (options.inlinePolicy)
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: options.roleName,
          PolicyName: "inline",
          PolicyDocument: JSON.stringify(options.inlinePolicy),
        }),
      );
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: Role?.Arn,
        RoleSessionName: options.sessionName,
        ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
      }),
    );
    return {
      session: {
        accessKeyId: Credentials?.AccessKeyId ?? "",
        secretAccessKey: Credentials?.SecretAccessKey ?? "",
        sessionToken: Credentials?.SessionToken ?? "",
      },
      expiration: (Credentials?.Expiration ?? new Date(0)).getTime(),
    };
  } finally {
    iam.destroy();
    sts.destroy();
  }
}
