import { FUNCTION_HANDLER } from "../artifact/handler.ts";
import {
  dynamodbTableArn,
  iamRoleArn,
  lambdaFunctionArn,
  logGroupResourceArn,
  logStreamArn,
  s3Arn,
  sqsQueueArn,
} from "../engine/arn.ts";

/**
 * The one source of truth for the stack: names, ARNs, policies and the notification. The provisioner, the
 * LocalStack init hooks (via `pipeline stack env`), the embedded engine's defaults and `verify` all read it.
 */

const LOCAL_ACCOUNT_ID = "000000000000";
export const DEFAULT_REGION = "us-east-1";
/**
 * AWS's current Node.js runtime (GA November 2025; the CDK's NODEJS_LATEST). `--runtime nodejs22.x` or
 * `PIPELINE_RUNTIME=nodejs22.x` picks the older supported one (it still runs callback-style handlers).
 */
export const DEFAULT_RUNTIME = "nodejs24.x";
const UPLOAD_PREFIX = "uploads/";
export const NOTIFICATION_ID = "image-uploads-ingest";
const PERMISSION_STATEMENT_ID = "AllowS3InvokeFromUploadsBucket";
const LOG_RETENTION_DAYS = 14;
/**
 * How long the on-failure queue keeps a failed event: SQS's maximum, 14 days, so a failure on a Friday can still
 * be re-driven after a holiday (the default, 4 days, cannot).
 */
const ON_FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** Retries of an asynchronous invocation after the first attempt, as AWS's default (and its maximum). */
const ASYNC_MAXIMUM_RETRY_ATTEMPTS = 2;

interface StackNames {
  bucket: string;
  table: string;
  functionName: string;
  roleName: string;
  policyName: string;
}

export interface StackSettings extends StackNames {
  region: string;
  accountId: string;
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  uploadPrefix: string;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string> | "*";
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Everything derived from the settings: ARNs computed once, never typed twice. */
export interface Stack extends StackSettings {
  arns: {
    bucket: string;
    bucketObjects: string;
    table: string;
    role: string;
    function: string;
    logGroup: string;
    logStreams: string;
    onFailureQueue: string;
  };
  logGroupName: string;
  logRetentionDays: number;
  handler: string;
  environment: Record<string, string>;
  trustPolicy: PolicyDocument;
  executionPolicy: PolicyDocument;
  /** The statement S3 needs on the function's resource policy. */
  invokePermission: {
    statementId: string;
    action: "lambda:InvokeFunction";
    principal: "s3.amazonaws.com";
    sourceArn: string;
    sourceAccount: string;
  };
  notification: {
    id: string;
    events: string[];
    prefix: string;
  };
  /**
   * The SQS queue the function's failed asynchronous invocations go to (its on-failure destination), with AWS's
   * invocation record as the message body; `pipeline failed` reads and re-drives it on every target.
   */
  onFailureQueue: { name: string; messageRetentionSeconds: number };
  /** The function's asynchronous invocation configuration (PutFunctionEventInvokeConfig). */
  eventInvokeConfig: { maximumRetryAttempts: number; onFailureDestination: string };
  tableKeys: { partitionKey: "PK"; sortKey: "SK"; billingMode: "PAY_PER_REQUEST" };
}

const LOCAL_DEFAULTS: StackSettings = {
  region: DEFAULT_REGION,
  accountId: LOCAL_ACCOUNT_ID,
  bucket: "image-uploads",
  table: "image-metadata",
  functionName: "image-metadata-ingest",
  roleName: "image-metadata-ingest-role",
  policyName: "image-metadata-ingest-least-privilege",
  runtime: DEFAULT_RUNTIME,
  memoryMb: 256,
  timeoutSeconds: 10,
  uploadPrefix: UPLOAD_PREFIX,
};

/** `PIPELINE_*` environment variables that override settings, by setting name. */
const ENVIRONMENT_OVERRIDES: Record<keyof StackNames | "runtime" | "region", string> = {
  bucket: "PIPELINE_BUCKET",
  table: "PIPELINE_TABLE",
  functionName: "PIPELINE_FUNCTION",
  roleName: "PIPELINE_ROLE",
  policyName: "PIPELINE_POLICY",
  runtime: "PIPELINE_RUNTIME",
  region: "PIPELINE_REGION",
};

/**
 * On real AWS bucket names are global, so the default becomes `image-uploads-<account>-<region>`
 * (the CLI says so when it picks it).
 */
export function awsDefaultBucketName(accountId: string, region: string): string {
  return `image-uploads-${accountId}-${region}`;
}

/** Reads `PIPELINE_*` overrides from an environment. */
export function settingsFromEnvironment(env: Record<string, string | undefined>): Partial<StackSettings> {
  const overrides: Partial<StackSettings> = {};
  for (const [setting, variable] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const value = env[variable];
    if (value) (overrides as Record<string, string>)[setting] = value;
  }
  return overrides;
}

/** Derives the whole stack from settings (defaults for local targets). */
export function defineStack(overrides: Partial<StackSettings> = {}): Stack {
  const s: StackSettings = { ...LOCAL_DEFAULTS, ...overrides };
  const logGroupName = `/aws/lambda/${s.functionName}`;
  // Derived from the function's name, so `--function other` gets a queue of its own.
  const onFailureQueueName = `${s.functionName}-failures`;
  const arns = {
    bucket: s3Arn(s.bucket),
    bucketObjects: s3Arn(s.bucket, "*"),
    table: dynamodbTableArn(s.region, s.accountId, s.table),
    role: iamRoleArn(s.accountId, s.roleName),
    function: lambdaFunctionArn(s.region, s.accountId, s.functionName),
    logGroup: logGroupResourceArn(s.region, s.accountId, logGroupName),
    logStreams: logStreamArn(s.region, s.accountId, logGroupName, "*"),
    onFailureQueue: sqsQueueArn(s.region, s.accountId, onFailureQueueName),
  };
  return {
    ...s,
    arns,
    logGroupName,
    logRetentionDays: LOG_RETENTION_DAYS,
    handler: FUNCTION_HANDLER,
    environment: { TABLE_NAME: s.table, SOURCE_BUCKET: s.bucket },
    trustPolicy: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    },
    executionPolicy: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "WriteImageMetadata", Effect: "Allow", Action: "dynamodb:PutItem", Resource: arns.table },
        {
          Sid: "ReadUploadedObjectMetadata",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: arns.bucketObjects,
        },
        {
          // HeadObject with a VersionId (the function reads the version an event names) needs this on AWS.
          Sid: "ReadUploadedObjectVersions",
          Effect: "Allow",
          Action: "s3:GetObjectVersion",
          Resource: arns.bucketObjects,
        },
        {
          Sid: "CreateFunctionLogGroup",
          Effect: "Allow",
          Action: "logs:CreateLogGroup",
          Resource: arns.logGroup,
        },
        {
          Sid: "WriteFunctionLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: arns.logStreams,
        },
        {
          // Lambda sends the on-failure destination's message with the function's execution role.
          Sid: "SendFailedEventsToOnFailureQueue",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: arns.onFailureQueue,
        },
      ],
    },
    invokePermission: {
      statementId: PERMISSION_STATEMENT_ID,
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      sourceArn: arns.bucket,
      sourceAccount: s.accountId,
    },
    notification: { id: NOTIFICATION_ID, events: ["s3:ObjectCreated:*"], prefix: s.uploadPrefix },
    onFailureQueue: { name: onFailureQueueName, messageRetentionSeconds: ON_FAILURE_RETENTION_SECONDS },
    eventInvokeConfig: {
      maximumRetryAttempts: ASYNC_MAXIMUM_RETRY_ATTEMPTS,
      onFailureDestination: arns.onFailureQueue,
    },
    tableKeys: { partitionKey: "PK", sortKey: "SK", billingMode: "PAY_PER_REQUEST" },
  };
}

/**
 * The stack as shell variables, for the LocalStack init hooks (`localstack/stack.env` is generated from this,
 * and a test checks the committed file is current).
 */
export function stackShellEnvironment(stack: Stack): Record<string, string> {
  return {
    PIPELINE_REGION: stack.region,
    PIPELINE_ACCOUNT_ID: stack.accountId,
    PIPELINE_BUCKET: stack.bucket,
    PIPELINE_TABLE: stack.table,
    PIPELINE_FUNCTION: stack.functionName,
    PIPELINE_ROLE: stack.roleName,
    PIPELINE_POLICY: stack.policyName,
    PIPELINE_RUNTIME: stack.runtime,
    PIPELINE_HANDLER: stack.handler,
    PIPELINE_MEMORY_MB: String(stack.memoryMb),
    PIPELINE_TIMEOUT_SECONDS: String(stack.timeoutSeconds),
    PIPELINE_UPLOAD_PREFIX: stack.uploadPrefix,
    PIPELINE_NOTIFICATION_ID: stack.notification.id,
    PIPELINE_PERMISSION_SID: stack.invokePermission.statementId,
    PIPELINE_LOG_GROUP: stack.logGroupName,
    PIPELINE_LOG_RETENTION_DAYS: String(stack.logRetentionDays),
    PIPELINE_BUCKET_ARN: stack.arns.bucket,
    PIPELINE_FUNCTION_ARN: stack.arns.function,
    PIPELINE_ROLE_ARN: stack.arns.role,
    PIPELINE_TRUST_POLICY: JSON.stringify(stack.trustPolicy),
    PIPELINE_EXECUTION_POLICY: JSON.stringify(stack.executionPolicy),
    PIPELINE_FUNCTION_ENVIRONMENT: JSON.stringify({ Variables: stack.environment }),
    PIPELINE_ON_FAILURE_QUEUE: stack.onFailureQueue.name,
    PIPELINE_ON_FAILURE_QUEUE_ARN: stack.arns.onFailureQueue,
    PIPELINE_ON_FAILURE_QUEUE_ATTRIBUTES: JSON.stringify(onFailureQueueAttributes(stack)),
    PIPELINE_ASYNC_MAXIMUM_RETRY_ATTEMPTS: String(stack.eventInvokeConfig.maximumRetryAttempts),
    PIPELINE_DESTINATION_CONFIG: JSON.stringify(destinationConfig(stack)),
    PIPELINE_NOTIFICATION_CONFIGURATION: JSON.stringify({
      LambdaFunctionConfigurations: [
        {
          Id: stack.notification.id,
          LambdaFunctionArn: stack.arns.function,
          Events: stack.notification.events,
          Filter: { Key: { FilterRules: [{ Name: "prefix", Value: stack.notification.prefix }] } },
        },
      ],
    }),
  };
}

/**
 * CreateTable's input for the stack's table, from `tableKeys`: string partition and sort keys, on-demand. The
 * provisioner creates the table with it and `checkStack` expects what it describes.
 */
export function tableDefinition(stack: Stack) {
  const { partitionKey, sortKey, billingMode } = stack.tableKeys;
  return {
    TableName: stack.table,
    BillingMode: billingMode,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: "S" as const },
      { AttributeName: sortKey, AttributeType: "S" as const },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: "HASH" as const },
      { AttributeName: sortKey, KeyType: "RANGE" as const },
    ],
  };
}

/** CreateQueue/SetQueueAttributes attributes of the on-failure queue (SQS takes every attribute as a string). */
export function onFailureQueueAttributes(stack: Stack): { MessageRetentionPeriod: string } {
  return { MessageRetentionPeriod: String(stack.onFailureQueue.messageRetentionSeconds) };
}

/** The `DestinationConfig` of PutFunctionEventInvokeConfig: failures to the on-failure queue, no success destination. */
export function destinationConfig(stack: Stack): { OnFailure: { Destination: string } } {
  return { OnFailure: { Destination: stack.eventInvokeConfig.onFailureDestination } };
}
