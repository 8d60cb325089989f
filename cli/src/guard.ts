import { createInterface } from "node:readline/promises";
import { UsageError } from "./errors.ts";
import type { Output } from "./output.ts";
import type { TargetBase } from "./target.ts";

/**
 * Before any write to real AWS: show account, ARN and region, then require `--yes` or an interactive "yes".
 * Emulator targets pass straight through.
 */
export async function confirmAwsWrite(
  target: TargetBase,
  output: Output,
  action: string,
  yes: boolean | undefined,
): Promise<void> {
  if (target.kind !== "aws") return;
  process.stderr.write(
    `AWS account ${target.identity?.account} as ${target.identity?.arn} in ${target.region}\n` +
      (target.derivedBucketName
        ? `bucket name derived for global uniqueness: ${target.stack.bucket} (override with --bucket)\n`
        : ""),
  );
  if (yes) return;
  if (!process.stdin.isTTY || output.json) {
    throw new UsageError(`refusing to ${action} in AWS account ${target.identity?.account} without --yes`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${action} in this account? Type 'yes' to continue: `);
    if (answer.trim().toLowerCase() !== "yes") throw new UsageError(`${action} cancelled`);
  } finally {
    prompt.close();
  }
}
