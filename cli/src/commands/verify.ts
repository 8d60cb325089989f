import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { codeSha256 } from "../../../src/artifact/sha.ts";
import { consistencyCheck, idempotencyProbe, liveProbe } from "../../../src/pipeline/probes.ts";
import {
  type EvidenceReport,
  renderEvidenceHtml,
  renderEvidenceMarkdown,
} from "../../../src/report/evidence.ts";
import { type CheckResult, checkStack } from "../../../src/stack/check.ts";
import { observeStack } from "../../../src/stack/observe.ts";
import { ensureFunctionArtifact } from "../artifact.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output, table } from "../output.ts";
import { type GlobalOptions, readEngineRuntime, requireEndpoint, resolveTarget } from "../target.ts";

export interface VerifyOptions extends GlobalOptions {
  report?: string;
  skipProbe?: boolean;
  timeout: string;
}

/** `pipeline verify`: the seed lab's evidence as checks; exit 0 only if every check passes. */
export async function verify(options: VerifyOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const timeoutMs = Number(options.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError(`invalid --timeout ${options.timeout}: expected seconds > 0`);
  const target = await resolveTarget(options);
  await requireEndpoint(target);
  const stack = target.stack;
  // The deployed code may come from elsewhere (compose builds it in a volume the host never sees): with no current
  // dist/function.zip, build one to compare against. The build is deterministic (same sources and lock file, same
  // CodeSha256), so this compares code, not who built it.
  const { zip, built } = await ensureFunctionArtifact();
  if (built) output.info("built dist/function.zip to compare with the deployed code (deterministic build)");
  const observed = await observeStack(target.clients, stack);
  const runtime = target.endpoint ? await readEngineRuntime(target.endpoint, stack.runtime) : undefined;
  if (runtime?.emulated) output.warn(runtime.description);
  const checks: CheckResult[] = checkStack(observed, stack, codeSha256(zip), runtime);
  const configOk = checks.every((c) => c.ok);
  if (!options.skipProbe) {
    if (!configOk) {
      output.warn("stack checks failed; live and idempotency probes still run to show what happens");
    }
    await confirmAwsWrite(target, output, "upload a probe image and invoke the function", options.yes);
    const { results, probe } = await liveProbe(target.clients, stack, { timeoutMs });
    checks.push(...results);
    if (probe && results.every((r) => r.id !== "record" || r.ok)) {
      checks.push(await idempotencyProbe(target.clients, stack, probe));
    }
  }
  const consistency = await consistencyCheck(target.clients, stack);
  checks.push(consistency.result);

  const failed = checks.filter((c) => !c.ok);
  const rows = [
    ["", "evidence", "check", "observed"],
    ...checks.map((c) => [c.ok ? output.ok("PASS") : output.bad("FAIL"), c.evidence, c.title, c.observed]),
  ];
  output.line(table(rows));
  output.line();
  output.line(
    failed.length === 0
      ? output.ok(`all ${checks.length} checks passed`)
      : output.bad(
          `${failed.length} of ${checks.length} checks failed: ${failed.map((f) => f.id).join(", ")}`,
        ),
  );

  if (options.report) {
    const report: EvidenceReport = {
      generatedAt: new Date().toISOString(),
      target: target.endpoint ?? `AWS ${target.identity?.account} ${target.region}`,
      stackSummary: {
        region: stack.region,
        bucket: stack.bucket,
        table: stack.table,
        function: stack.functionName,
        role: stack.arns.role,
        onFailureQueue: stack.arns.onFailureQueue,
      },
      checks,
    };
    const dir = resolve(options.report);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "evidence.md"), renderEvidenceMarkdown(report));
    await writeFile(join(dir, "evidence.html"), renderEvidenceHtml(report));
    output.info(`wrote ${join(dir, "evidence.md")} and evidence.html`);
  }
  output.data({
    ok: failed.length === 0,
    checks,
    missingRecords: consistency.missing,
    orphanRecords: consistency.orphans,
  });
  target.clients.destroy();
  if (failed.length > 0) throw new CheckFailedError(`verify failed: ${failed.map((f) => f.id).join(", ")}`);
}
