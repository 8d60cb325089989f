import pLimit from "p-limit";
import { checkConsistency, redriveObject } from "../../../src/pipeline/reconcile.ts";
import { CheckFailedError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";

export interface ReconcileOptions extends GlobalOptions {
  dryRun?: boolean;
}

/** `pipeline reconcile`: re-drive the function for every object without a record. */
export async function reconcile(options: ReconcileOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const target = await resolveTarget(options, ["s3", "documents", "lambda"]);
  await requireStack(target, ["bucket", "table"]);
  const report = await checkConsistency(target.clients, target.stack);
  output.line(
    `${report.objects} objects, ${report.records} records: ${report.missingRecords.length} objects without a record`,
  );
  for (const o of report.orphanRecords)
    output.warn(`record ${o.pk} ${o.sk} points at a missing object (left in place)`);
  if (options.dryRun || report.missingRecords.length === 0) {
    for (const o of report.missingRecords) output.line(`  would re-drive ${o.key} (${o.etag})`);
    output.data({
      dryRun: Boolean(options.dryRun),
      missing: report.missingRecords,
      orphans: report.orphanRecords,
      fixed: [],
      failed: [],
    });
    target.clients.destroy();
    return;
  }
  await confirmAwsWrite(target, output, `re-drive ${report.missingRecords.length} objects`, options.yes);
  const limit = pLimit(4);
  const results = await Promise.all(
    report.missingRecords.map((o) => limit(() => redriveObject(target.clients, target.stack, o))),
  );
  for (const r of results) {
    output.line(
      r.ok
        ? `  ${output.ok("fixed")} ${r.object.key}`
        : `  ${output.bad("failed")} ${r.object.key}: ${r.error}`,
    );
  }
  const failed = results.filter((r) => !r.ok);
  output.data({
    dryRun: false,
    missing: report.missingRecords,
    orphans: report.orphanRecords,
    fixed: results.filter((r) => r.ok).map((r) => r.object),
    failed: failed.map((r) => ({ ...r.object, error: r.error })),
  });
  target.clients.destroy();
  if (failed.length) throw new CheckFailedError(`${failed.length} objects could not be re-driven`);
}
