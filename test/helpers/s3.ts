import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { awsCliEnvironment } from "./aws-cli.ts";

const run = promisify(execFile);

/** An SDK v3 S3 client on the engine with the account's `test` key, path-style. */
export function s3Client(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    forcePathStyle: true,
    ...extra,
  });
}

/** The error a rejected SDK call produced, to assert on its name and HTTP status. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number; error: Error }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error("expected the call to fail, it succeeded");
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  return { name: error.name, status, error };
}

/** The bytes of an SDK response body. */
export async function bytesOf(body: unknown): Promise<Buffer> {
  const stream = body as { transformToByteArray(): Promise<Uint8Array> };
  return Buffer.from(await stream.transformToByteArray());
}

/** Runs the AWS CLI v2 (`cli`, see findAwsCliV2) against `endpoint` with the `test` key; resolves with stdout. */
export async function awsCli(cli: string, endpoint: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(cli, [...args, "--endpoint-url", endpoint], {
    env: awsCliEnvironment(endpoint),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
