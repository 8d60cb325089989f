/** The AWS CLI v2 binary, found as the engine's init-hook runner finds it (PATH included: GitHub runners). */
export { findAwsCliV2 } from "../../src/engine/init-hooks.ts";

/**
 * Environment for running the AWS CLI against an emulator, without the user's profile or pager. The CLI reads
 * AWS_ENDPOINT_URL only from 2.13 on (Debian ships 2.9): callers must still pass `--endpoint-url`.
 */
export function awsCliEnvironment(endpoint: string): NodeJS.ProcessEnv {
  return {
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}
