import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateTableCommand, DescribeTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  type GetFunctionCommandOutput,
  GetPolicyCommand,
  RemovePermissionCommand,
  type Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketNotificationConfigurationCommand,
  PutPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { codeSha256 } from "../artifact/sha.ts";
import type { AwsClients } from "../aws/clients.ts";
import { errorName, isNotFoundError } from "../aws/errors.ts";
import {
  desiredLambdaNotification,
  isOurNotification,
  normalizePolicy,
  permissionMatches,
  policiesEqual,
} from "./compare.ts";
import { ProvisionError } from "./errors.ts";
import { ensureEventInvokeConfig, ensureOnFailureQueue } from "./on-failure-queue.ts";
import { IAM_PROPAGATION_WINDOW_MS, retryWithinWindow } from "./retry-window.ts";
import { type Stack, tableDefinition } from "./spec.ts";

type StepAction = "created" | "updated" | "unchanged";

export interface StepResult {
  step: string;
  resource: string;
  action: StepAction;
  detail?: string;
}

export interface ProvisionOptions {
  clients: AwsClients;
  stack: Stack;
  /** The deployment package (dist/function.zip). */
  artifact: Uint8Array;
  /** Real AWS needs time for IAM propagation and slower waiters; emulators answer at once. */
  realAws?: boolean;
  onStep?: (result: StepResult) => void;
}

const waiterTiming = (realAws: boolean | undefined) =>
  realAws ? { maxWaitTime: 300, minDelay: 2, maxDelay: 10 } : { maxWaitTime: 60, minDelay: 0.1, maxDelay: 1 };

/**
 * Creates or updates every resource of the stack, in dependency order; re-running on a provisioned stack
 * changes nothing and reports every step `unchanged`.
 */
export async function provisionStack(options: ProvisionOptions): Promise<StepResult[]> {
  const { clients, stack } = options;
  const results: StepResult[] = [];
  const run = async (
    step: string,
    resource: string,
    action: () => Promise<StepAction | [StepAction, string]>,
  ) => {
    try {
      const outcome = await action();
      const [done, detail] = Array.isArray(outcome) ? outcome : [outcome, undefined];
      const result: StepResult = { step, resource, action: done, ...(detail ? { detail } : {}) };
      results.push(result);
      options.onStep?.(result);
    } catch (cause) {
      if (cause instanceof ProvisionError) throw cause;
      throw new ProvisionError(step, resource, cause);
    }
  };
  const timing = waiterTiming(options.realAws);

  await run("table", stack.table, async () => {
    try {
      const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.table }));
      const keys = Object.fromEntries((Table?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
      const { partitionKey, sortKey } = stack.tableKeys;
      if (keys.HASH !== partitionKey || keys.RANGE !== sortKey) {
        throw new Error(
          `existing table has key schema ${JSON.stringify(keys)}, expected ${partitionKey} (HASH) and ${sortKey} (RANGE)`,
        );
      }
      return "unchanged";
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    await clients.dynamodb.send(new CreateTableCommand(tableDefinition(stack)));
    await waitUntilTableExists({ client: clients.dynamodb, ...timing }, { TableName: stack.table });
    return "created";
  });

  await run("bucket", stack.bucket, async () => {
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: stack.bucket }));
      return "unchanged";
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    await clients.s3.send(
      new CreateBucketCommand({
        Bucket: stack.bucket,
        ...(stack.region === "us-east-1"
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: stack.region as BucketLocationConstraint } }),
      }),
    );
    return "created";
  });

  await run("block-public-access", stack.bucket, async () => {
    let existed = true;
    try {
      const { PublicAccessBlockConfiguration: c } = await clients.s3.send(
        new GetPublicAccessBlockCommand({ Bucket: stack.bucket }),
      );
      if (c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets)
        return "unchanged";
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
      existed = false;
    }
    await clients.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: stack.bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    return existed ? "updated" : "created";
  });

  await run("default-encryption", stack.bucket, async () => {
    let existed = true;
    try {
      const { ServerSideEncryptionConfiguration: c } = await clients.s3.send(
        new GetBucketEncryptionCommand({ Bucket: stack.bucket }),
      );
      const rule = c?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      if (c?.Rules?.length === 1 && rule?.SSEAlgorithm === "AES256") return "unchanged";
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
      existed = false;
    }
    await clients.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: stack.bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
      }),
    );
    return existed ? "updated" : "created";
  });

  await run("on-failure-queue", stack.onFailureQueue.name, () =>
    ensureOnFailureQueue(clients, stack, { realAws: options.realAws }),
  );

  let roleCreated = false;
  await run("role", stack.roleName, async () => {
    try {
      const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: stack.roleName }));
      if (policiesEqual(normalizePolicy(Role?.AssumeRolePolicyDocument), stack.trustPolicy))
        return "unchanged";
      await clients.iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: stack.roleName,
          PolicyDocument: JSON.stringify(stack.trustPolicy),
        }),
      );
      return ["updated", "trust policy"];
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: stack.roleName,
        AssumeRolePolicyDocument: JSON.stringify(stack.trustPolicy),
        Description: "Execution role of the image metadata ingest function (least privilege)",
      }),
    );
    roleCreated = true;
    return "created";
  });

  await run("role-policy", `${stack.roleName}/${stack.policyName}`, async () => {
    const changes: string[] = [];
    // Anything else on the role widens it beyond the spec: the stack owns this role, so it converges.
    const { PolicyNames = [] } = await clients.iam.send(
      new ListRolePoliciesCommand({ RoleName: stack.roleName }),
    );
    for (const name of PolicyNames.filter((n) => n !== stack.policyName)) {
      await clients.iam.send(new DeleteRolePolicyCommand({ RoleName: stack.roleName, PolicyName: name }));
      changes.push(`removed inline ${name}`);
    }
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: stack.roleName }),
    );
    for (const attached of AttachedPolicies) {
      await clients.iam.send(
        new DetachRolePolicyCommand({ RoleName: stack.roleName, PolicyArn: attached.PolicyArn }),
      );
      changes.push(`detached ${attached.PolicyArn}`);
    }
    let current: unknown;
    if (PolicyNames.includes(stack.policyName)) {
      const { PolicyDocument } = await clients.iam.send(
        new GetRolePolicyCommand({ RoleName: stack.roleName, PolicyName: stack.policyName }),
      );
      current = normalizePolicy(PolicyDocument);
    }
    if (current !== undefined && policiesEqual(current, stack.executionPolicy) && changes.length === 0)
      return "unchanged";
    if (current === undefined || !policiesEqual(current, stack.executionPolicy)) {
      await clients.iam.send(
        new PutRolePolicyCommand({
          RoleName: stack.roleName,
          PolicyName: stack.policyName,
          PolicyDocument: JSON.stringify(stack.executionPolicy),
        }),
      );
      changes.push(current === undefined ? "created policy" : "replaced policy");
    }
    return [current === undefined && changes.length === 1 ? "created" : "updated", changes.join(", ")];
  });

  await run("function", stack.functionName, async () => {
    const wanted = {
      Runtime: stack.runtime as Runtime,
      Handler: stack.handler,
      Role: stack.arns.role,
      MemorySize: stack.memoryMb,
      Timeout: stack.timeoutSeconds,
      Environment: { Variables: stack.environment },
    };
    let existing: GetFunctionCommandOutput | undefined;
    try {
      existing = await clients.lambda.send(new GetFunctionCommand({ FunctionName: stack.functionName }));
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    if (!existing) {
      await createFunctionWithRetry(
        clients,
        { FunctionName: stack.functionName, Code: { ZipFile: options.artifact }, ...wanted },
        roleCreated && options.realAws === true,
      );
      await waitUntilFunctionActiveV2(
        { client: clients.lambda, ...timing },
        { FunctionName: stack.functionName },
      );
      return "created";
    }
    const changes: string[] = [];
    const config = existing.Configuration;
    if (config?.CodeSha256 !== codeSha256(options.artifact)) {
      await clients.lambda.send(
        new UpdateFunctionCodeCommand({ FunctionName: stack.functionName, ZipFile: options.artifact }),
      );
      await waitUntilFunctionUpdatedV2(
        { client: clients.lambda, ...timing },
        { FunctionName: stack.functionName },
      );
      changes.push("code");
    }
    const currentVariables = config?.Environment?.Variables ?? {};
    const configDiffers =
      config?.Runtime !== wanted.Runtime ||
      config?.Handler !== wanted.Handler ||
      config?.Role !== wanted.Role ||
      config?.MemorySize !== wanted.MemorySize ||
      config?.Timeout !== wanted.Timeout ||
      JSON.stringify(Object.entries(currentVariables).sort()) !==
        JSON.stringify(Object.entries(wanted.Environment.Variables).sort());
    if (configDiffers) {
      await clients.lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: stack.functionName, ...wanted }),
      );
      await waitUntilFunctionUpdatedV2(
        { client: clients.lambda, ...timing },
        { FunctionName: stack.functionName },
      );
      changes.push("configuration");
    }
    return changes.length === 0 ? "unchanged" : ["updated", changes.join(", ")];
  });

  await run("event-invoke-config", stack.functionName, () =>
    ensureEventInvokeConfig(clients, stack, { realAws: options.realAws }),
  );

  await run("invoke-permission", stack.invokePermission.statementId, async () => {
    let statements: unknown[] = [];
    try {
      const { Policy } = await clients.lambda.send(
        new GetPolicyCommand({ FunctionName: stack.functionName }),
      );
      statements = ((Policy ? JSON.parse(Policy) : {}) as { Statement?: unknown[] }).Statement ?? [];
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    const existing = statements.find(
      (s) => (s as { Sid?: string }).Sid === stack.invokePermission.statementId,
    );
    if (existing && permissionMatches(existing, stack)) return "unchanged";
    if (existing) {
      await clients.lambda.send(
        new RemovePermissionCommand({
          FunctionName: stack.functionName,
          StatementId: stack.invokePermission.statementId,
        }),
      );
    }
    await clients.lambda.send(
      new AddPermissionCommand({
        FunctionName: stack.functionName,
        StatementId: stack.invokePermission.statementId,
        Action: stack.invokePermission.action,
        Principal: stack.invokePermission.principal,
        SourceArn: stack.invokePermission.sourceArn,
        SourceAccount: stack.invokePermission.sourceAccount,
      }),
    );
    return existing ? ["updated", "replaced a different statement"] : "created";
  });

  await run("notification", stack.bucket, async () => {
    const current = await clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: stack.bucket }),
    );
    const lambdas = current.LambdaFunctionConfigurations ?? [];
    const ours = lambdas.filter((c) => isOurNotification(c, stack));
    const desired = desiredLambdaNotification(stack);
    const alreadyRight =
      ours.length === 1 &&
      JSON.stringify(normalizeNotification(ours[0])) === JSON.stringify(normalizeNotification(desired));
    if (alreadyRight) return "unchanged";
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: stack.bucket,
        NotificationConfiguration: {
          ...(current.QueueConfigurations ? { QueueConfigurations: current.QueueConfigurations } : {}),
          ...(current.TopicConfigurations ? { TopicConfigurations: current.TopicConfigurations } : {}),
          LambdaFunctionConfigurations: [...lambdas.filter((c) => !isOurNotification(c, stack)), desired],
        },
      }),
    );
    return ours.length === 0 ? "created" : "updated";
  });

  await run("log-group", stack.logGroupName, async () => {
    const { logGroups = [] } = await clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: stack.logGroupName }),
    );
    const group = logGroups.find((g) => g.logGroupName === stack.logGroupName);
    if (!group) {
      await clients.logs.send(new CreateLogGroupCommand({ logGroupName: stack.logGroupName }));
    }
    if (group?.retentionInDays === stack.logRetentionDays) return "unchanged";
    await clients.logs.send(
      new PutRetentionPolicyCommand({
        logGroupName: stack.logGroupName,
        retentionInDays: stack.logRetentionDays,
      }),
    );
    return group ? ["updated", `retention ${stack.logRetentionDays} days`] : "created";
  });

  return results;
}

function normalizeNotification(
  config: { LambdaFunctionArn?: string; Events?: string[]; Filter?: unknown } | undefined,
) {
  const rules = (
    (config?.Filter as { Key?: { FilterRules?: Array<{ Name?: string; Value?: string }> } })?.Key
      ?.FilterRules ?? []
  )
    .map((r) => [String(r.Name).toLowerCase(), r.Value])
    .sort();
  return { arn: config?.LambdaFunctionArn, events: [...(config?.Events ?? [])].sort(), rules };
}

/** Lambda refuses a role it cannot assume yet ("The role defined for the function cannot be assumed by Lambda"). */
const roleNotAssumableYet = (error: unknown) =>
  errorName(error) === "InvalidParameterValueException" && /assumed/i.test(String((error as Error).message));

async function createFunctionWithRetry(
  clients: AwsClients,
  input: ConstructorParameters<typeof CreateFunctionCommand>[0],
  expectPropagationDelay: boolean,
): Promise<void> {
  await retryWithinWindow(
    () => clients.lambda.send(new CreateFunctionCommand(input)),
    roleNotAssumableYet,
    expectPropagationDelay ? IAM_PROPAGATION_WINDOW_MS : 0,
  );
}
