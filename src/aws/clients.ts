import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

/** Where AWS calls go: an emulator endpoint (LocalStack or the embedded engine), or real AWS. */
export interface AwsTarget {
  /** Undefined means real AWS. */
  endpoint?: string;
  region: string;
  /** Static credentials for emulators; for real AWS undefined means the default provider chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  profile?: string;
}

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  lambda: LambdaClient;
  iam: IAMClient;
  sts: STSClient;
  logs: CloudWatchLogsClient;
  sqs: SQSClient;
  destroy(): void;
}

/** Credentials emulators accept, as LocalStack documents them. */
export const EMULATOR_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: "test", secretAccessKey: "test" };

/** One set of SDK v3 clients for a target; S3 uses path-style addressing against emulators. */
export function createAwsClients(target: AwsTarget): AwsClients {
  const common = {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  };
  const dynamodb = new DynamoDBClient(common);
  const clients: AwsClients = {
    s3: new S3Client({ ...common, forcePathStyle: Boolean(target.endpoint) }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    lambda: new LambdaClient(common),
    iam: new IAMClient(common),
    sts: new STSClient(common),
    logs: new CloudWatchLogsClient(common),
    sqs: new SQSClient(common),
    destroy() {
      for (const client of [
        clients.s3,
        dynamodb,
        clients.lambda,
        clients.iam,
        clients.sts,
        clients.logs,
        clients.sqs,
      ])
        client.destroy();
    },
  };
  return clients;
}
