import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { z } from "zod";
import {
  type AwsClients,
  type AwsTarget,
  createAwsClients,
  EMULATOR_CREDENTIALS,
} from "../../src/aws/clients.ts";
import {
  awsDefaultBucketName,
  DEFAULT_REGION,
  defineStack,
  type Stack,
  type StackSettings,
  settingsFromEnvironment,
} from "../../src/stack/spec.ts";
import { endpointFrom } from "./endpoint.ts";
import { EnvironmentError, UsageError } from "./errors.ts";

/** Options every command accepts (commander merges them with the command's own). */
export interface GlobalOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  bucket?: string;
  table?: string;
  function?: string;
  runtime?: string;
  json?: boolean;
  debug?: boolean;
  yes?: boolean;
}

const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "bucket names are 3-63 characters: lower-case letters, digits, dots, hyphens",
  );
const resourceName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,64}$/, "names are 3-64 letters, digits, '_', '.', '-'");
const globalSchema = z.object({
  endpoint: z
    .string()
    .refine(
      (v) => v === "aws" || /^https?:\/\/[^/\s]+\/?$/.test(v),
      "expected a URL like http://localhost:4566, or 'aws'",
    )
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected a region such as us-east-1")
    .optional(),
  bucket: bucketName.optional(),
  table: resourceName.optional(),
  function: resourceName.optional(),
  runtime: z
    .string()
    .regex(/^nodejs\d+\.x$/, "expected a Lambda Node.js runtime such as nodejs22.x")
    .optional(),
});

/** A resolved target: where calls go, the stack there, and SDK clients for it. */
export interface Target {
  kind: "emulator" | "aws";
  /** Emulator base URL; undefined on real AWS. */
  endpoint?: string;
  region: string;
  stack: Stack;
  clients: AwsClients;
  aws: AwsTarget;
  /** Caller identity, for real AWS (read before any write). */
  identity?: { account: string; arn: string };
  /** Set when the bucket name was derived because real AWS needs a globally unique one. */
  derivedBucketName?: boolean;
}

/** Validates global options once, at the boundary, and reports the first problem as a usage error. */
export function validateGlobalOptions(options: GlobalOptions): void {
  const result = globalSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(
      `invalid --${String(issue?.path[0] ?? "option")}: ${issue?.message ?? "invalid value"}`,
    );
  }
}

function stackSettings(options: GlobalOptions, env: NodeJS.ProcessEnv): Partial<StackSettings> {
  return {
    ...settingsFromEnvironment(env),
    ...(options.region ? { region: options.region } : {}),
    ...(options.bucket ? { bucket: options.bucket } : {}),
    ...(options.table ? { table: options.table } : {}),
    ...(options.function ? { functionName: options.function, roleName: `${options.function}-role` } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
  };
}

/** Builds the target for a command: emulator (no network yet) or real AWS (asks STS who we are). */
export async function resolveTarget(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  validateGlobalOptions(options);
  const endpoint = endpointFrom(options, env);
  const settings = stackSettings(options, env);
  if (endpoint !== "aws") {
    const region = settings.region ?? DEFAULT_REGION;
    const aws: AwsTarget = { endpoint, region, credentials: EMULATOR_CREDENTIALS };
    return {
      kind: "emulator",
      endpoint,
      region,
      stack: defineStack({ ...settings, region }),
      clients: createAwsClients(aws),
      aws,
    };
  }
  const region = settings.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  const aws: AwsTarget = { region, ...(options.profile ? { profile: options.profile } : {}) };
  // Bounded: offline or behind a dropping firewall, the identity call must fail in seconds, not hang.
  const sts = new STSClient({
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
  });
  let identity: { account: string; arn: string };
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    identity = { account: String(who.Account), arn: String(who.Arn) };
  } catch (cause) {
    throw new EnvironmentError(
      `no usable AWS credentials for region ${region}: ${(cause as Error).message} (set AWS_PROFILE or use --profile)`,
      { cause },
    );
  } finally {
    sts.destroy();
  }
  const derivedBucketName = !settings.bucket;
  const stack = defineStack({
    ...settings,
    region,
    accountId: identity.account,
    bucket: settings.bucket ?? awsDefaultBucketName(identity.account, region),
  });
  return { kind: "aws", region, stack, clients: createAwsClients(aws), aws, identity, derivedBucketName };
}

export interface EndpointStatus {
  listening: boolean;
  /** Set when something accepted the connection but sent no answer within the probe's timeout (ms). */
  silentForMs?: number;
  /** Services the endpoint reports, LocalStack style. */
  services?: Record<string, string>;
  embedded?: boolean;
}

/**
 * Probes `/_localstack/health`; never throws. A closed port fails at once, so the timeout only matters for a
 * busy engine: it is generous, since a loaded machine (or a fresh process loading fetch) can take seconds.
 */
export async function probeEndpoint(endpoint: string, timeoutMs = 5000): Promise<EndpointStatus> {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return { listening: true };
    const body = (await response.json()) as { services?: Record<string, string>; edition?: string };
    return {
      listening: true,
      ...(body.services ? { services: body.services } : {}),
      embedded: body.edition === "embedded",
    };
  } catch (error) {
    // A timeout is not "nothing listening": something took the connection and never answered.
    if ((error as Error).name === "TimeoutError") return { listening: false, silentForMs: timeoutMs };
    return { listening: false };
  }
}

/** Fails with exit 2 naming the URL and how to start something there, when nothing answers. */
export async function requireEndpoint(target: Target): Promise<void> {
  if (target.kind !== "emulator" || !target.endpoint) return;
  const status = await probeEndpoint(target.endpoint);
  if (status.silentForMs !== undefined) {
    throw new EnvironmentError(
      `${target.endpoint} accepted the connection but gave no answer in ${status.silentForMs / 1000} s: is it the engine or LocalStack, and is it stuck?`,
    );
  }
  if (!status.listening) {
    throw new EnvironmentError(
      `nothing is listening at ${target.endpoint}: start the embedded engine with 'npx pipeline up' or LocalStack with 'docker compose up'`,
    );
  }
}
