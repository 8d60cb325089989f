import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { GetFunctionConfigurationCommand, GetPolicyCommand } from "@aws-sdk/client-lambda";
import {
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
} from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "../aws/clients.ts";
import { isNotFoundError } from "../aws/errors.ts";
import type { ObservedStack } from "./check.ts";
import { normalizePolicy } from "./compare.ts";
import { onFailureQueueUrl, readEventInvokeConfig } from "./on-failure-queue.ts";
import type { Stack } from "./spec.ts";

/** Runs a read; "not found" errors become null, anything else propagates. */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw error;
  }
}

/** Reads the stack's resources from a target (read-only), for `checkStack`. */
export async function observeStack(clients: AwsClients, stack: Stack): Promise<ObservedStack> {
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const region = await clients.sts.config.region();
  const [table, bucket, fn, role, resourcePolicyStatements, logGroup, onFailureQueue, eventInvokeConfig] =
    await Promise.all([
      orNull(async () => {
        const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.table }));
        return {
          keys: Object.fromEntries(
            (Table?.KeySchema ?? []).map((k) => [String(k.KeyType), String(k.AttributeName)]),
          ),
          attributeTypes: Object.fromEntries(
            (Table?.AttributeDefinitions ?? []).map((a) => [
              String(a.AttributeName),
              String(a.AttributeType),
            ]),
          ),
          billingMode: Table?.BillingModeSummary?.BillingMode ?? "PROVISIONED",
          status: Table?.TableStatus ?? "UNKNOWN",
        };
      }),
      orNull(async () => {
        await clients.s3.send(new HeadBucketCommand({ Bucket: stack.bucket }));
        const [bpa, encryption, notifications] = await Promise.all([
          orNull(() => clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: stack.bucket }))),
          orNull(() => clients.s3.send(new GetBucketEncryptionCommand({ Bucket: stack.bucket }))),
          clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: stack.bucket })),
        ]);
        return {
          publicAccessBlock: bpa?.PublicAccessBlockConfiguration
            ? { ...(bpa.PublicAccessBlockConfiguration as Record<string, boolean | undefined>) }
            : null,
          encryptionAlgorithms: encryption
            ? (encryption.ServerSideEncryptionConfiguration?.Rules ?? []).map((r) =>
                String(r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? ""),
              )
            : null,
          lambdaNotifications: notifications.LambdaFunctionConfigurations ?? [],
        };
      }),
      orNull(async () => {
        const c = await clients.lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: stack.functionName }),
        );
        return {
          runtime: String(c.Runtime ?? ""),
          handler: String(c.Handler ?? ""),
          role: String(c.Role ?? ""),
          codeSha256: String(c.CodeSha256 ?? ""),
          state: String(c.State ?? ""),
          environment: c.Environment?.Variables ?? {},
        };
      }),
      orNull(async () => {
        const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: stack.roleName }));
        const { PolicyNames = [] } = await clients.iam.send(
          new ListRolePoliciesCommand({ RoleName: stack.roleName }),
        );
        const inlinePolicies: Record<string, unknown> = {};
        for (const name of PolicyNames) {
          const { PolicyDocument } = await clients.iam.send(
            new GetRolePolicyCommand({ RoleName: stack.roleName, PolicyName: name }),
          );
          inlinePolicies[name] = normalizePolicy(PolicyDocument);
        }
        const { AttachedPolicies = [] } = await clients.iam.send(
          new ListAttachedRolePoliciesCommand({ RoleName: stack.roleName }),
        );
        return {
          trustPolicy: normalizePolicy(Role?.AssumeRolePolicyDocument),
          inlinePolicies,
          attachedPolicyArns: AttachedPolicies.map((p) => String(p.PolicyArn)),
        };
      }),
      orNull(async () => {
        const { Policy } = await clients.lambda.send(
          new GetPolicyCommand({ FunctionName: stack.functionName }),
        );
        return ((normalizePolicy(Policy) ?? {}) as { Statement?: unknown[] }).Statement ?? [];
      }),
      orNull(async () => {
        const { logGroups = [] } = await clients.logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: stack.logGroupName }),
        );
        const group = logGroups.find((g) => g.logGroupName === stack.logGroupName);
        return group
          ? { ...(group.retentionInDays ? { retentionInDays: group.retentionInDays } : {}) }
          : null;
      }),
      orNull(async () => {
        const url = await onFailureQueueUrl(clients, stack);
        if (!url) return null;
        const { Attributes = {} } = await clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
        );
        return {
          arn: String(Attributes.QueueArn ?? ""),
          retentionSeconds: Number(Attributes.MessageRetentionPeriod),
          messages: Number(Attributes.ApproximateNumberOfMessages ?? 0),
          policy: normalizePolicy(Attributes.Policy) ?? null,
        };
      }),
      readEventInvokeConfig(clients, stack),
    ]);
  return {
    identity: { account: String(identity.Account), arn: String(identity.Arn), region },
    table,
    bucket,
    function: fn,
    role,
    resourcePolicyStatements,
    logGroup,
    onFailureQueue,
    eventInvokeConfig,
  };
}
