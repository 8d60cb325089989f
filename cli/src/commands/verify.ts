import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { codeSha256 } from "../../../src/artifact/sha.ts";
import { ALL_AWS_SERVICES } from "../../../src/aws/clients.ts";
import type { FaultSettings } from "../../../src/pipeline/fault-summary.ts";
import { consistencyCheck, idempotencyProbe, liveProbe } from "../../../src/pipeline/probes.ts";
import {
  type EvidenceReport,
  renderEvidenceHtml,
  renderEvidenceMarkdown,
} from "../../../src/report/evidence.ts";
import {
  CHECK_CATALOG,
  type CheckResult,
  checkStack,
  inEvidenceOrder,
  notRunCheck,
} from "../../../src/stack/check.ts";
import { observeStack } from "../../../src/stack/observe.ts";
import { ensureFunctionArtifact } from "../artifact.ts";
import { redactEndpoint } from "../endpoint.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output, table } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { describeFaults, type GlobalOptions, readEngineInfo, resolveTarget, type Target } from "../target.ts";

export interface VerifyOptions extends GlobalOptions {
  report?: string;
  skipProbe?: boolean;
  timeout: string;
}

/**
 * `up --inspect` deploys the debug build of the same sources (not minified, inline source map): the code row then
 * passes, saying so, instead of failing on a hash that is not dist/function.zip's. The debug build is deterministic
 * too, so its hash is computed here to compare (about a second, only when the release build did not match).
 */
async function acceptDebugBuild(
  checks: CheckResult[],
  deployed: string | undefined,
  runtime: string,
  realAws: boolean,
): Promise<void> {
  const row = checks.find((check) => check.id === "artifact");
  if (!row || row.ok || !deployed || realAws) return;
  const { buildDebugFunctionArtifact } = await import("../../../src/artifact/build.ts");
  const debug = codeSha256(await buildDebugFunctionArtifact(runtime).catch(() => new Uint8Array()));
  if (debug !== deployed) return;
  row.ok = true;
  row.observed = `CodeSha256 ${deployed}: the debug build (up --inspect) of the same sources`;
  row.expected = `${row.expected}, or its debug build (CodeSha256 ${debug})`;
}

/** `pipeline verify`: the seed lab's evidence as checks; exit 0 only if every check passes. */
export async function verify(options: VerifyOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const timeoutMs = Number(options.timeout) * 1000;
  let missingRecords: string[] = [];
  let orphanRecords: string[] = [];
  if (!(timeoutMs > 0)) throw new UsageError(`invalid --timeout ${options.timeout}: expected seconds > 0`);
  const target = await resolveTarget(options, ALL_AWS_SERVICES);
  const { presence } = await requireStack(target);
  const stack = target.stack;
  // The deployed code may come from elsewhere (compose builds it in a volume the host never sees): with no current
  // dist/function.zip, build one to compare against. The build is deterministic (same sources and lock file, same
  // CodeSha256), so this compares code, not who built it.
  const { zip, built } = await ensureFunctionArtifact();
  if (built) output.info("built dist/function.zip to compare with the deployed code (deterministic build)");
  const observed = await observeStack(target.clients, stack);
  const info = target.endpoint ? await readEngineInfo(target.endpoint) : undefined;
  const runtime = info?.lambda_runtimes?.[stack.runtime];
  if (runtime?.emulated) output.warn(runtime.description);
  const checks: CheckResult[] = checkStack(observed, stack, codeSha256(zip), runtime);
  await acceptDebugBuild(checks, observed.function?.codeSha256, stack.runtime, target.kind === "aws");
  const configOk = checks.every((c) => c.ok);
  const missing = (["bucket", "table", "function"] as const).filter((part) => !presence[part]);
  if (missing.length > 0) {
    // Part of the stack is gone: its checks above say FAIL; what would write to it cannot run.
    const reason = `the stack has no ${missing.join(", no ")}`;
    checks.push(
      ...(options.skipProbe ? [] : (["upload", "record", "logs", "idempotency"] as const)).map((id) =>
        notRunCheck(id, reason),
      ),
    );
  } else {
    if (!options.skipProbe) {
      if (!configOk) {
        output.warn("stack checks failed; live and idempotency probes still run to show what happens");
      }
      await confirmAwsWrite(target, output, "upload a probe image and invoke the function", options.yes);
      const { results, probe } = await liveProbe(target.clients, stack, { timeoutMs });
      checks.push(...results);
      if (probe && results.every((r) => r.id !== "record" || r.ok)) {
        checks.push(await idempotencyProbe(target.clients, stack, probe));
      } else {
        checks.push(notRunCheck("idempotency", "no record for the probe upload"));
      }
    }
  }
  if (presence.bucket && presence.table) {
    const consistency = await consistencyCheck(target.clients, stack);
    checks.push(consistency.result);
    missingRecords = consistency.missing;
    orphanRecords = consistency.orphans;
  } else {
    checks.push(notRunCheck("consistency", `the stack has no ${presence.bucket ? "table" : "bucket"}`));
  }
  const ordered = inEvidenceOrder(checks);
  const caveats = verifyCaveats(
    target,
    runtime?.emulated ? runtime.description : undefined,
    info?.faults,
    options.skipProbe,
  );

  const failed = ordered.filter((c) => !c.ok);
  const rows = [
    ["", "evidence", "check", "observed"],
    ...ordered.map((c) => [c.ok ? output.ok("PASS") : output.bad("FAIL"), c.evidence, c.title, c.observed]),
  ];
  output.line(table(rows));
  output.line();
  const verdict =
    failed.length === 0
      ? `all ${ordered.length} checks passed`
      : `${failed.length} of ${ordered.length} checks failed: ${failed.map((f) => f.id).join(", ")}`;
  const paint =
    failed.length > 0
      ? output.bad.bind(output)
      : caveats.length > 0
        ? output.colors.yellow
        : output.ok.bind(output);
  output.line(paint(caveats.length > 0 ? `${verdict} (${caveats.join("; ")})` : verdict));

  if (options.report) {
    const report: EvidenceReport = {
      generatedAt: new Date().toISOString(),
      target: target.endpoint
        ? `${redactEndpoint(target.endpoint)} (${target.region})`
        : `AWS ${target.identity?.account} ${target.region}`,
      stackSummary: {
        region: stack.region,
        bucket: stack.bucket,
        table: stack.table,
        function: stack.functionName,
        role: stack.arns.role,
        onFailureQueue: stack.arns.onFailureQueue,
      },
      checks: ordered,
      caveats,
    };
    const dir = resolve(options.report);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "evidence.md"), renderEvidenceMarkdown(report));
    await writeFile(join(dir, "evidence.html"), renderEvidenceHtml(report));
    output.info(`wrote ${join(dir, "evidence.md")} and evidence.html`);
  }
  output.data({
    ok: failed.length === 0,
    total: ordered.length,
    passed: ordered.length - failed.length,
    caveats,
    checks: ordered,
    missingRecords,
    orphanRecords,
  });
  target.clients.destroy();
  if (failed.length > 0) throw new CheckFailedError(`verify failed: ${failed.map((f) => f.id).join(", ")}`);
}

/**
 * What a reader of the pass count must know beside it: the target, a runtime emulated on another Node, injected
 * faults, probes skipped.
 */
export function verifyCaveats(
  target: Pick<Target, "kind" | "endpoint" | "region">,
  emulatedRuntime: string | undefined,
  faults: FaultSettings | undefined,
  skipProbe: boolean | undefined,
): string[] {
  const caveats = [
    target.kind === "aws"
      ? `target: real AWS, ${target.region}`
      : `target: emulator at ${redactEndpoint(target.endpoint ?? "")}, ${target.region}, not AWS`,
  ];
  if (emulatedRuntime) caveats.push(emulatedRuntime);
  const faultText = describeFaults(faults);
  if (faultText) caveats.push(faultText);
  if (skipProbe)
    caveats.push(
      `${CHECK_CATALOG.filter((c) => c.live && c.id !== "consistency").length} live checks skipped (--skip-probe)`,
    );
  return caveats;
}
