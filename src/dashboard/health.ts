import { readFunctionArtifact } from "../artifact/build.ts";
import { codeSha256 } from "../artifact/sha.ts";
import type { AwsClients } from "../aws/clients.ts";
import type { RuntimeReport } from "../engine/lambda/runtimes.ts";
import { CHECK_COUNT, type CheckResult, checkStack } from "../stack/check.ts";
import { observeStack } from "../stack/observe.ts";
import type { Stack } from "../stack/spec.ts";

/** The stack-health panel: `verify`'s configuration checks, as the page shows them. */
export interface HealthReport {
  checkedAt: string;
  ok: boolean;
  passed: number;
  total: number;
  checks: CheckResult[];
  /** Set when the stack could not be read at all (the checks are then empty). */
  error?: string;
  /** On the embedded engine: which Node runs the stack's runtime, or that it is emulated. */
  runtime?: RuntimeReport;
  /** How many checks `pipeline verify` runs: these, and the live ones that write (the one count everywhere). */
  verifyTotal: number;
  /** On the embedded engine: the faults it injects, in words (undefined when none). */
  faults?: string;
  /** The stack the checks are about (its names: `pipeline status` uses a report only for the stack it asks about). */
  stack: { bucket: string; table: string; functionName: string; region: string };
  /** Whether the bucket, the table and the function exist (unset when the stack could not be read). */
  presence?: { bucket: boolean; table: boolean; function: boolean };
}

/**
 * Runs `observeStack` + `checkStack` with admin clients, comparing the deployed code with the local build
 * (`dist/function.zip`) when there is one, exactly as `pipeline verify` does without its probes.
 */
export async function checkStackHealth(
  clients: AwsClients,
  stack: Stack,
  options: { artifactPath?: string; runtime?: RuntimeReport | undefined; faults?: string | undefined } = {},
): Promise<HealthReport> {
  const checkedAt = new Date().toISOString();
  const runtime = {
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    verifyTotal: CHECK_COUNT,
    stack: {
      bucket: stack.bucket,
      table: stack.table,
      functionName: stack.functionName,
      region: stack.region,
    },
  };
  try {
    const zip = await readFunctionArtifact(options.artifactPath);
    const observed = await observeStack(clients, stack);
    const checks = checkStack(observed, stack, zip ? codeSha256(zip) : undefined, options.runtime);
    const passed = checks.filter((c) => c.ok).length;
    const presence = {
      bucket: observed.bucket !== null,
      table: observed.table !== null,
      function: observed.function !== null,
    };
    return {
      checkedAt,
      ok: passed === checks.length,
      passed,
      total: checks.length,
      checks,
      presence,
      ...runtime,
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { checkedAt, ok: false, passed: 0, total: 0, checks: [], error: message, ...runtime };
  }
}
