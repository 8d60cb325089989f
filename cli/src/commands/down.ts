import { ALL_AWS_SERVICES } from "../../../src/aws/clients.ts";
import { teardownStack } from "../../../src/stack/teardown.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output } from "../output.ts";
import { targetName } from "../stack-presence.ts";
import { type GlobalOptions, requireEndpoint, resolveTarget } from "../target.ts";

export interface DownOptions extends GlobalOptions {
  keepData?: boolean;
}

/**
 * `pipeline down`: teardown via the stack module, in safe order; `--keep-data` keeps bucket, table, log group and
 * the on-failure queue with its failed events.
 */
export async function down(options: DownOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const target = await resolveTarget(options, ALL_AWS_SERVICES);
  await requireEndpoint(target);
  await confirmAwsWrite(target, output, "tear down the image metadata pipeline", options.yes);
  const steps = await teardownStack({
    clients: target.clients,
    stack: target.stack,
    keepData: options.keepData,
    onStep: (s) =>
      output.info(
        `  ${s.step.padEnd(20)} ${(s.action === "deleted" ? output.ok(s.action) : output.dim(s.action)).padEnd(8)} ${s.resource}${s.detail ? output.dim(` (${s.detail})`) : ""}`,
      ),
  });
  output.data({ event: "down", keepData: Boolean(options.keepData), steps });
  if (!steps.some((s) => s.action === "deleted")) {
    // Removing nothing is not an error (a second `down` succeeds), but it says so.
    output.line(`no stack at ${targetName(target)}: nothing to remove`);
    return;
  }
  output.line(
    options.keepData ? "stack removed; bucket, table, log group and on-failure queue kept" : "stack removed",
  );
}
