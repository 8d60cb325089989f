import { execFileSync } from "node:child_process";

/**
 * The AWS CLI v2 binary: AWS_CLI_V2 if set, else the first of /usr/bin/aws (Debian awscli), /usr/local/bin/aws
 * (GitHub runners) whose `--version` says aws-cli/2. A pyenv `aws` earlier on PATH may be v1 and is not used.
 */
export function findAwsCliV2(): string | undefined {
  for (const candidate of [process.env.AWS_CLI_V2, "/usr/bin/aws", "/usr/local/bin/aws"]) {
    if (!candidate) continue;
    try {
      const version = execFileSync(candidate, ["--version"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      if (version.startsWith("aws-cli/2")) return candidate;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

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
