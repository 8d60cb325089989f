import { DeleteLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DeleteTableCommand, waitUntilTableNotExists } from "@aws-sdk/client-dynamodb";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketNotificationConfigurationCommand,
} from "@aws-sdk/client-s3";
import { DeleteQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { AwsClients } from "../aws/clients.ts";
import { isNotFoundError } from "../aws/errors.ts";
import { isOurNotification } from "./compare.ts";
import { TeardownError } from "./errors.ts";
import { onFailureQueueUrl } from "./on-failure-queue.ts";
import type { Stack } from "./spec.ts";

type TeardownAction = "deleted" | "absent" | "kept";

export interface TeardownResult {
  step: string;
  resource: string;
  action: TeardownAction;
  detail?: string;
}

/**
 * Removes the stack in safe order: notification first (no new events), then function (its event invoke config
 * goes with it), role and, unless `keepData` (the seed's "hibernate"), log group, on-failure queue with the failed
 * events it holds, table and bucket with every object version. Idempotent.
 */
export async function teardownStack(options: {
  clients: AwsClients;
  stack: Stack;
  keepData?: boolean;
  onStep?: (result: TeardownResult) => void;
}): Promise<TeardownResult[]> {
  const { clients, stack } = options;
  const results: TeardownResult[] = [];
  const run = async (
    step: string,
    resource: string,
    action: () => Promise<TeardownAction | [TeardownAction, string]>,
  ) => {
    let outcome: TeardownAction | [TeardownAction, string];
    try {
      outcome = await action();
    } catch (error) {
      if (!isNotFoundError(error)) throw new TeardownError(step, resource, error);
      outcome = "absent";
    }
    const [done, detail] = Array.isArray(outcome) ? outcome : [outcome, undefined];
    const result: TeardownResult = { step, resource, action: done, ...(detail ? { detail } : {}) };
    results.push(result);
    options.onStep?.(result);
  };

  await run("notification", stack.bucket, async () => {
    const current = await clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: stack.bucket }),
    );
    const lambdas = current.LambdaFunctionConfigurations ?? [];
    const remaining = lambdas.filter((c) => !isOurNotification(c, stack));
    if (remaining.length === lambdas.length) return "absent";
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: stack.bucket,
        NotificationConfiguration: {
          ...(current.QueueConfigurations ? { QueueConfigurations: current.QueueConfigurations } : {}),
          ...(current.TopicConfigurations ? { TopicConfigurations: current.TopicConfigurations } : {}),
          LambdaFunctionConfigurations: remaining,
        },
      }),
    );
    return "deleted";
  });

  await run("function", stack.functionName, async () => {
    await clients.lambda.send(new DeleteFunctionCommand({ FunctionName: stack.functionName }));
    return "deleted";
  });

  await run("role", stack.roleName, async () => {
    const { PolicyNames = [] } = await clients.iam.send(
      new ListRolePoliciesCommand({ RoleName: stack.roleName }),
    );
    for (const name of PolicyNames) {
      await clients.iam.send(new DeleteRolePolicyCommand({ RoleName: stack.roleName, PolicyName: name }));
    }
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: stack.roleName }),
    );
    for (const policy of AttachedPolicies) {
      await clients.iam.send(
        new DetachRolePolicyCommand({ RoleName: stack.roleName, PolicyArn: policy.PolicyArn }),
      );
    }
    await clients.iam.send(new DeleteRoleCommand({ RoleName: stack.roleName }));
    return "deleted";
  });

  await run("log-group", stack.logGroupName, async () => {
    if (options.keepData) return "kept";
    await clients.logs.send(new DeleteLogGroupCommand({ logGroupName: stack.logGroupName }));
    return "deleted";
  });

  await run("on-failure-queue", stack.onFailureQueue.name, async () => {
    const url = await onFailureQueueUrl(clients, stack);
    if (!url) return "absent";
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    const held = `${Attributes.ApproximateNumberOfMessages ?? "?"} failed events`;
    if (options.keepData) return ["kept", held];
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    return ["deleted", `${held} dropped`];
  });

  await run("table", stack.table, async () => {
    if (options.keepData) return "kept";
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: stack.table }));
    await waitUntilTableNotExists(
      { client: clients.dynamodb, maxWaitTime: 120, minDelay: 0.2, maxDelay: 5 },
      { TableName: stack.table },
    );
    return "deleted";
  });

  await run("bucket", stack.bucket, async () => {
    if (options.keepData) return "kept";
    const removed = await emptyBucket(clients, stack.bucket);
    await clients.s3.send(new DeleteBucketCommand({ Bucket: stack.bucket }));
    return ["deleted", `${removed} object versions removed`];
  });

  return results;
}

/** Deletes every object and object version (a bucket must be empty before DeleteBucket). */
async function emptyBucket(clients: AwsClients, bucket: string): Promise<number> {
  let removed = 0;
  const deleteBatch = async (objects: Array<{ Key: string; VersionId?: string }>) => {
    if (objects.length === 0) return;
    await clients.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
    );
    removed += objects.length;
  };
  let versionsSupported = true;
  try {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await clients.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
        Key: String(v.Key),
        ...(v.VersionId && v.VersionId !== "null" ? { VersionId: v.VersionId } : {}),
      }));
      await deleteBatch(entries);
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  } catch (error) {
    // Emulators without ListObjectVersions: fall back to plain listing (unversioned buckets need nothing more).
    if (isNotFoundError(error)) throw error;
    versionsSupported = false;
  }
  if (!versionsSupported) {
    let token: string | undefined;
    do {
      const page = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
      );
      await deleteBatch((page.Contents ?? []).map((o) => ({ Key: String(o.Key) })));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return removed;
}
