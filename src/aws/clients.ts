import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { STSClient } from "@aws-sdk/client-sts";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
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

/** SDK v3 clients for a target, one per service (`documents` is the DynamoDB document client). */
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

/** A service whose client can be loaded: each is its own SDK package, loaded only when asked for. */
export type AwsService = Exclude<keyof AwsClients, "destroy">;

/** The clients of some services only (what a CLI verb loads), and `destroy()` for them. */
export type SomeAwsClients<S extends AwsService> = Pick<AwsClients, S> & { destroy(): void };

export const ALL_AWS_SERVICES: readonly AwsService[] = [
  "s3",
  "dynamodb",
  "documents",
  "lambda",
  "iam",
  "sts",
  "logs",
  "sqs",
];

/** Credentials emulators accept, as LocalStack documents them. */
export const EMULATOR_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: "test", secretAccessKey: "test" };

/** The settings every client of a target gets; S3 adds path-style addressing against emulators. */
export function clientSettings(target: AwsTarget) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
  };
}

/** S3's settings: path-style against emulators (no bucket subdomains on localhost). */
export function s3Settings(target: AwsTarget) {
  return { ...clientSettings(target), forcePathStyle: Boolean(target.endpoint) };
}

/** The document client's marshalling: optional attributes left out rather than refused. */
export const DOCUMENT_MARSHALL_OPTIONS = { marshallOptions: { removeUndefinedValues: true } } as const;

/** Each service's client, built from its SDK package imported on first use (so a verb loads only what it uses). */
const loaders: { [S in Exclude<AwsService, "documents">]: (target: AwsTarget) => Promise<AwsClients[S]> } = {
  s3: async (target) => new (await import("@aws-sdk/client-s3")).S3Client(s3Settings(target)),
  dynamodb: async (target) =>
    new (await import("@aws-sdk/client-dynamodb")).DynamoDBClient(clientSettings(target)),
  lambda: async (target) => new (await import("@aws-sdk/client-lambda")).LambdaClient(clientSettings(target)),
  iam: async (target) => new (await import("@aws-sdk/client-iam")).IAMClient(clientSettings(target)),
  sts: async (target) => new (await import("@aws-sdk/client-sts")).STSClient(clientSettings(target)),
  logs: async (target) =>
    new (await import("@aws-sdk/client-cloudwatch-logs")).CloudWatchLogsClient(clientSettings(target)),
  sqs: async (target) => new (await import("@aws-sdk/client-sqs")).SQSClient(clientSettings(target)),
};

/**
 * The clients of `services` for a target, each SDK package imported only now: a CLI verb that reads logs does not
 * load S3's, IAM's or SQS's SDK (together about a megabyte of code). `documents` brings `dynamodb` with it.
 */
export async function loadAwsClients<S extends AwsService>(
  target: AwsTarget,
  services: readonly S[],
): Promise<SomeAwsClients<S>> {
  const wanted = new Set<AwsService>(services);
  if (wanted.has("documents")) wanted.add("dynamodb");
  const loaded: Partial<Record<AwsService, { destroy(): void }>> = {};
  await Promise.all(
    [...wanted].map(async (service) => {
      if (service !== "documents") loaded[service] = await loaders[service](target);
    }),
  );
  if (wanted.has("documents")) {
    const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
    loaded.documents = DynamoDBDocumentClient.from(
      loaded.dynamodb as DynamoDBClient,
      DOCUMENT_MARSHALL_OPTIONS,
    );
  }
  return { ...(loaded as Pick<AwsClients, S>), destroy: () => destroyClients(loaded) };
}

/** Destroys each client given; the document client shares the DynamoDB client's connections, freed with it. */
export function destroyClients(clients: Partial<Record<AwsService, { destroy(): void }>>): void {
  for (const service of ALL_AWS_SERVICES) if (service !== "documents") clients[service]?.destroy();
}
