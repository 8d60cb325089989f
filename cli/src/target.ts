import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from "@smithy/core/config";
import * as z from "zod";
import {
  type AwsService,
  type AwsTarget,
  EMULATOR_CREDENTIALS,
  loadAwsClients,
  type SomeAwsClients,
} from "../../src/aws/clients.ts";
import type { RuntimeReport } from "../../src/engine/lambda/runtimes.ts";
import type { FaultSettings } from "../../src/pipeline/fault-summary.ts";
import {
  awsDefaultBucketName,
  DEFAULT_REGION,
  defineStack,
  type Stack,
  type StackSettings,
  settingsFromEnvironment,
} from "../../src/stack/spec.ts";
import {
  type EndpointSource,
  endpointFlag,
  endpointWithoutCredentials,
  redactEndpoint,
  resolveEndpoint,
  startHint,
} from "./endpoint.ts";
import { EnvironmentError, UsageError } from "./errors.ts";
import { type GetAnswer, GetFailure, httpGet, jsonBody } from "./http-get.ts";
import { printable } from "./output.ts";

export { describeFaults } from "../../src/pipeline/fault-summary.ts";

export { isNotAwsAnswer, notAwsMessage } from "./endpoint.ts";

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

/** A resolved target: where calls go and the stack there. */
export interface TargetBase {
  kind: "emulator" | "aws";
  /** Emulator base URL; undefined on real AWS. */
  endpoint?: string;
  /** Where the endpoint came from (flag, environment, default): hints repeat a flag, not a variable. */
  endpointSource: EndpointSource;
  region: string;
  /** Where the region came from (`--region`, AWS_REGION, the profile, ...). */
  regionSource: string;
  stack: Stack;
  aws: AwsTarget;
  /** Caller identity, for real AWS (read before any write). */
  identity?: { account: string; arn: string };
  /** Set when the bucket name was derived because real AWS needs a globally unique one. */
  derivedBucketName?: boolean;
}

/** A resolved target with SDK clients for the services `S` its command calls (and only those: see loadAwsClients). */
export interface Target<S extends AwsService = AwsService> extends TargetBase {
  clients: SomeAwsClients<S>;
}

/** Validates global options once, at the boundary, and reports the first problem as a usage error. */
function validateGlobalOptions(options: GlobalOptions): void {
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
    ...(options.bucket ? { bucket: options.bucket } : {}),
    ...(options.table ? { table: options.table } : {}),
    ...(options.function ? { functionName: options.function, roleName: `${options.function}-role` } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
  };
}

/**
 * The region, the same way on every target: `--region`, PIPELINE_REGION, AWS_REGION, AWS_DEFAULT_REGION (AWS CLI v2
 * precedence: AWS_REGION overrides AWS_DEFAULT_REGION and the profile), then the profile's `region` (AWS_PROFILE or
 * `--profile`, read by the SDK's own config loader), then us-east-1. Returns where it came from, for messages.
 */
async function resolveRegion(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ region: string; source: string }> {
  if (options.region) return { region: options.region, source: "--region" };
  for (const name of ["PIPELINE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]) {
    const value = env[name];
    if (value) return { region: value, source: name };
  }
  const profile = options.profile ?? env.AWS_PROFILE;
  if (profile || env.AWS_CONFIG_FILE || env.HOME) {
    // The profile's `region` as the SDK clients' own provider reads the shared files (its file selector and
    // options), but not the rest of its chain: that ends in the EC2 instance metadata service (a PUT and a GET to
    // 169.254.169.254, 1 s timeout each), which on a laptop nothing answers, so every verb would wait for it.
    try {
      const region = await loadConfig(
        {
          environmentVariableSelector: () => undefined,
          configFileSelector: NODE_REGION_CONFIG_OPTIONS.configFileSelector,
          default: undefined,
        },
        { ...NODE_REGION_CONFIG_FILE_OPTIONS, ...(profile ? { profile } : {}) },
      )();
      if (region) return { region, source: `profile ${profile ?? "default"}` };
    } catch {
      // no region in the profile: the default below
    }
  }
  return { region: DEFAULT_REGION, source: "default" };
}

/**
 * Builds the target for a command: emulator (no network yet) or real AWS (asks STS who we are), with clients for
 * `services` only: each is its own SDK package, and a verb that loads all of them spends about 0.3 s doing so.
 */
export async function resolveTarget<S extends AwsService>(
  options: GlobalOptions,
  services: readonly S[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target<S>> {
  const port = env.PIPELINE_PORT;
  if (
    port !== undefined &&
    port !== "" &&
    !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)
  )
    throw new UsageError(`invalid PIPELINE_PORT ${printable(port)}: expected a port from 1 to 65535`);
  const { endpoint, source: endpointSource } = resolveEndpoint(options, env);
  validateGlobalOptions({ ...options, endpoint });
  const settings = stackSettings(options, env);
  const { region, source: regionSource } = await resolveRegion(options, env);
  const regionCheck = globalSchema.shape.region.safeParse(region);
  if (!regionCheck.success)
    throw new UsageError(
      `invalid region ${printable(region)} (from ${regionSource}): expected a region such as us-east-1`,
    );
  if (endpoint !== "aws") {
    const aws: AwsTarget = {
      endpoint: endpointWithoutCredentials(endpoint),
      region,
      credentials: EMULATOR_CREDENTIALS,
    };
    return {
      kind: "emulator",
      endpoint: endpointWithoutCredentials(endpoint),
      endpointSource,
      region,
      regionSource,
      stack: defineStack({ ...settings, region }),
      clients: await loadAwsClients(aws, services),
      aws,
    };
  }
  const aws: AwsTarget = { region, ...(options.profile ? { profile: options.profile } : {}) };
  // Bounded: offline or behind a dropping firewall, the identity call must fail in seconds, not hang.
  const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
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
  return {
    kind: "aws",
    endpointSource,
    region,
    regionSource,
    stack,
    clients: await loadAwsClients(aws, services),
    aws,
    identity,
    derivedBucketName,
  };
}

type EndpointKind = "embedded" | "localstack" | "other" | "refused" | "silent" | "unreachable";

export interface EndpointStatus {
  /**
   * What answered: the embedded engine, LocalStack (a LocalStack-shaped `/_localstack/health`), something else that
   * speaks HTTP, nothing (connection refused), something that took the connection and said nothing, or a network
   * failure (unknown host, reset).
   */
  kind: EndpointKind;
  listening: boolean;
  /** Set when something accepted the connection but sent no answer within the probe's timeout (ms). */
  silentForMs?: number;
  /** For `other`: what answered, e.g. `HTTP 404 text/html from SimpleHTTP/0.6` (control characters escaped). */
  answer?: string;
  /** For `unreachable`: the network error's code (ENOTFOUND, ECONNRESET, ...). */
  failure?: string;
  /** Services the endpoint reports, LocalStack style. */
  services?: Record<string, string>;
  version?: string;
  embedded?: boolean;
}

/**
 * Whether a `/_localstack/health` body has LocalStack's shape: `services` maps names to states, and `version` is
 * set (LocalStack's HealthResource.on_get always adds `edition` and `version`).
 */
export function isLocalStackHealth(
  body: unknown,
): body is { services: Record<string, string>; version: string; edition?: string } {
  if (typeof body !== "object" || body === null) return false;
  const { services, version } = body as { services?: unknown; version?: unknown };
  return (
    typeof version === "string" &&
    typeof services === "object" &&
    services !== null &&
    !Array.isArray(services) &&
    Object.values(services).every((state) => typeof state === "string")
  );
}

/** One line naming what answered an HTTP request: status, content type and Server header. */
function describeAnswer(answer: GetAnswer): string {
  const type = answer.headers["content-type"]?.split(";")[0]?.trim();
  const server = answer.headers.server;
  return printable(
    `HTTP ${answer.status}${type ? ` ${type}` : ""}${server ? ` from ${server.slice(0, 80)}` : ""}`,
  );
}

/** Network failures before anything answered: the name does not resolve, or no route to it. */
const unreachableCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/**
 * Probes `/_localstack/health`; never throws. A closed port fails at once, so the timeout only matters for a
 * busy engine: it is generous, since a loaded machine can take seconds.
 */
export async function probeEndpoint(endpoint: string, timeoutMs = 5000): Promise<EndpointStatus> {
  let answer: GetAnswer;
  try {
    answer = await httpGet(`${endpointWithoutCredentials(endpoint)}/_localstack/health`, {
      idleMs: timeoutMs,
    });
  } catch (error) {
    const code = error instanceof GetFailure ? error.code : "";
    // A timeout is not "nothing listening": something took the connection and never answered.
    if (code === "timeout") return { kind: "silent", listening: false, silentForMs: timeoutMs };
    if (code === "ECONNREFUSED") return { kind: "refused", listening: false };
    if (unreachableCodes.has(code)) return { kind: "unreachable", listening: false, failure: code };
    // Something took the connection and answered what is not HTTP, or hung up: it is there, but not AWS.
    return {
      kind: "other",
      listening: true,
      answer: printable(`not HTTP: ${code || (error as Error).message}`),
    };
  }
  const body = jsonBody(answer);
  if (!isLocalStackHealth(body)) return { kind: "other", listening: true, answer: describeAnswer(answer) };
  const embedded = (body as { edition?: unknown }).edition === "embedded";
  return {
    kind: embedded ? "embedded" : "localstack",
    listening: true,
    services: body.services,
    version: body.version,
    embedded,
  };
}

/** What the embedded engine's `/_localstack/info` says about itself (undefined fields on LocalStack). */
export interface EngineInfo {
  version?: string;
  edition?: string;
  region?: string;
  faults?: FaultSettings;
  lambda_runtimes?: Record<string, RuntimeReport>;
}

/** A JSON document the endpoint serves at `path`, or undefined (not there, not JSON, no answer). Never throws. */
export async function readEndpointJson(endpoint: string, path: string, idleMs = 5000): Promise<unknown> {
  try {
    const answer = await httpGet(`${endpointWithoutCredentials(endpoint)}${path}`, { idleMs });
    return jsonBody(answer);
  } catch {
    return undefined;
  }
}

/** Reads `/_localstack/info`; undefined when there is none. Never throws. */
export async function readEngineInfo(endpoint: string): Promise<EngineInfo | undefined> {
  const info = await readEndpointJson(endpoint, "/_localstack/info");
  return typeof info === "object" && info !== null ? (info as EngineInfo) : undefined;
}

/** The command a hint names, carrying `--endpoint` when the endpoint came from the flag. */
export function hintCommand(
  target: Pick<TargetBase, "endpoint" | "endpointSource" | "kind">,
  verb: string,
): string {
  const flag =
    target.kind === "aws"
      ? target.endpointSource === "flag"
        ? " --endpoint aws"
        : ""
      : endpointFlag(target.endpoint ?? "", target.endpointSource);
  return `npx pipeline ${verb}${flag}`;
}

/** Fails with exit 2 naming the URL, what answered (or did not) and how to fix it. */
export async function requireEndpoint(target: TargetBase): Promise<EndpointStatus | undefined> {
  if (target.kind !== "emulator" || !target.endpoint) return undefined;
  const endpoint = redactEndpoint(target.endpoint);
  const status = await probeEndpoint(target.endpoint);
  if (status.kind === "silent") {
    throw new EnvironmentError(
      `${endpoint} accepted the connection but gave no answer in ${(status.silentForMs ?? 0) / 1000} s: is it the engine or LocalStack, and is it stuck?`,
    );
  }
  if (status.kind === "refused") {
    throw new EnvironmentError(`nothing is listening at ${endpoint}: ${startHint(target.endpoint)}`);
  }
  if (status.kind === "unreachable") {
    throw new EnvironmentError(
      `cannot reach ${endpoint} (${printable(status.failure ?? "network error")}): check --endpoint / PIPELINE_ENDPOINT`,
    );
  }
  if (status.kind === "embedded") await requireEngineRegion(target);
  return status;
}

/**
 * The embedded engine serves one region (its ARNs, the function's AWS_REGION, S3 events' awsRegion): a command for
 * another region is refused with one line rather than quietly checking the engine's.
 */
export async function requireEngineRegion(target: TargetBase): Promise<EngineInfo | undefined> {
  if (target.kind !== "emulator" || !target.endpoint) return undefined;
  const info = await readEngineInfo(target.endpoint);
  if (info?.edition === "embedded" && info.region && info.region !== target.region) {
    throw new EnvironmentError(
      `the engine at ${redactEndpoint(target.endpoint)} serves region ${info.region}, not ${target.region}${target.regionSource === "default" ? "" : ` (from ${target.regionSource})`}: use --region ${info.region}, or restart it with \`npx pipeline up --region ${target.region}\``,
    );
  }
  return info;
}
