import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type AwsClients,
  type AwsTarget,
  clientSettings,
  DOCUMENT_MARSHALL_OPTIONS,
  destroyClients,
  s3Settings,
} from "./clients.ts";

/**
 * Every service's client for a target, at once and synchronously: for what holds clients for its whole life (the
 * dashboard inside `pipeline up`, the bench, tests). CLI verbs use `loadAwsClients` for only the services they call.
 */
export function createAwsClients(target: AwsTarget): AwsClients {
  const common = clientSettings(target);
  const dynamodb = new DynamoDBClient(common);
  const clients: AwsClients = {
    s3: new S3Client(s3Settings(target)),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, DOCUMENT_MARSHALL_OPTIONS),
    lambda: new LambdaClient(common),
    iam: new IAMClient(common),
    sts: new STSClient(common),
    logs: new CloudWatchLogsClient(common),
    sqs: new SQSClient(common),
    destroy: () => destroyClients(clients),
  };
  return clients;
}
