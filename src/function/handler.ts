import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { ingestEvent } from "./ingest.ts";
import { createAwsMetadataStore } from "./store.ts";

// Created once per execution environment and reused by warm invocations. The SDK reads AWS_REGION and
// AWS_ENDPOINT_URL itself, so the same bundle runs on AWS, LocalStack and the embedded engine.
const endpoint = process.env.AWS_ENDPOINT_URL;
const logger = new Logger({ serviceName: "image-metadata-ingest" });
// `cacheMiddleware`: each command class's middleware chain is resolved once per client, not on every call (the
// SDK's option since 3.649.0, aws/aws-sdk-js-v3#6423; the function never changes its middleware). It is why DynamoDB
// is the plain client with `marshall` (store.ts): DynamoDBDocumentClient throws on the option (@aws-sdk/lib-dynamodb
// 3.1169.0, its constructor; aws-sdk-js-v3#7801).
// Both cut the CPU of an environment's first few hundred invocations (docs/benchmarks.md, eighth session).
const s3 = new S3Client({ forcePathStyle: Boolean(endpoint), cacheMiddleware: true });
const dynamo = new DynamoDBClient({ cacheMiddleware: true });
const tableName = process.env.TABLE_NAME ?? "";
const store = createAwsMetadataStore({ s3, dynamo, tableName });

/** Lambda entry point (`index.handler` in dist/function.zip): thin wiring over `ingestEvent`. */
export async function handler(event: unknown, context: Context) {
  if (!tableName) throw new Error("TABLE_NAME is not set");
  logger.addContext(context);
  const summary = await ingestEvent(event, {
    store,
    logger,
    requestId: context.awsRequestId,
    concurrency: Number(process.env.RECORD_CONCURRENCY ?? 8),
    expectedBucket: process.env.SOURCE_BUCKET || undefined,
  });
  return {
    written: summary.written,
    duplicate: summary.duplicate,
    skipped: summary.skipped,
    failed: summary.failed,
  };
}
