import { resolve } from "node:path";
import { repairStore } from "../../../src/engine/repair.ts";
import { StoreInUseError } from "../../../src/engine/store/index.ts";
import { EnvironmentError } from "../errors.ts";
import { Output } from "../output.ts";
import type { GlobalOptions } from "../target.ts";

export interface RepairOptions extends GlobalOptions {
  persist?: string;
}

/**
 * `pipeline repair --persist DIR`: with the engine stopped, moves damaged store files aside (kept, never
 * deleted), salvages what still reads, and reports what was recovered and what was not.
 */
export async function repair(options: RepairOptions): Promise<void> {
  const output = new Output({ json: options.json });
  if (!options.persist)
    throw new EnvironmentError("repair needs --persist DIR (the directory `up --persist` used)");
  const report = await repairStore(resolve(options.persist)).catch((error: unknown) => {
    // Nothing is damaged while an engine holds the store: exit 2 with the one line, as for any unusable setting.
    if (error instanceof StoreInUseError) throw new EnvironmentError(error.message, { cause: error });
    throw error;
  });
  for (const entry of report.entries) {
    const status = entry.status === "intact" ? output.ok(entry.status) : entry.status;
    output.info(
      `  ${status.padEnd(12)} ${entry.file}${entry.recovered ? ` (${entry.recovered} record(s) kept)` : ""}`,
    );
    for (const line of entry.lost) output.warn(`    not recovered: ${line}`);
  }
  output.data({ event: "repair", ...report });
  output.line(
    report.keptIn
      ? `repaired; the damaged files are kept in ${report.keptIn}`
      : "nothing was damaged; nothing was changed",
  );
}
