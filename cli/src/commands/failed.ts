import { CONTROL_HEADER, CONTROL_PREFIX, type FailedEventView } from "../../../src/engine/control.ts";
import { CheckFailedError, EnvironmentError, UsageError } from "../errors.ts";
import { Output, table } from "../output.ts";
import { type GlobalOptions, probeEndpoint, resolveTarget } from "../target.ts";

export interface FailedOptions extends GlobalOptions {
  redrive?: string;
  redriveAll?: boolean;
}

/**
 * `pipeline failed`: asynchronous invocations that failed after all retries (the embedded engine keeps them as AWS
 * would send them to a DLQ or on-failure destination), and re-drive by id or all at once.
 */
export async function failed(options: FailedOptions): Promise<void> {
  const output = new Output({ json: options.json });
  if (options.redrive && options.redriveAll)
    throw new UsageError("use either --redrive <id> or --redrive-all");
  const target = await resolveTarget(options);
  target.clients.destroy();
  if (target.kind !== "emulator" || !target.endpoint) {
    throw new UsageError(
      "the failed-event list is kept by the embedded engine; on AWS, configure an on-failure destination or DLQ",
    );
  }
  const endpoint = target.endpoint;
  const status = await probeEndpoint(endpoint);
  if (!status.listening) {
    throw new EnvironmentError(
      `nothing is listening at ${endpoint}: start the embedded engine with 'npx pipeline up'`,
    );
  }
  const response = await fetch(`${endpoint}${CONTROL_PREFIX}/failed-events`);
  if (!response.ok) {
    throw new EnvironmentError(
      `${endpoint} keeps no failed-event list (LocalStack does not expose one; use 'pipeline reconcile')`,
    );
  }
  const { events } = (await response.json()) as { events: FailedEventView[] };
  const chosen = options.redriveAll
    ? events
    : options.redrive
      ? events.filter((e) => e.id === options.redrive)
      : [];
  if (options.redrive && chosen.length === 0)
    throw new UsageError(`no failed event with id ${options.redrive}`);
  const redriven: string[] = [];
  for (const event of chosen) {
    const result = await fetch(
      `${endpoint}${CONTROL_PREFIX}/failed-events/${encodeURIComponent(event.id)}/redrive`,
      { method: "POST", headers: { [CONTROL_HEADER]: "1" } },
    );
    if (!result.ok) throw new CheckFailedError(`re-drive of ${event.id} failed: HTTP ${result.status}`);
    redriven.push(event.id);
  }
  output.data({ events, redriven });
  if (events.length === 0) {
    output.line("no failed events");
    return;
  }
  output.line(
    table([
      ["id", "keys", "attempts", "error", "failed at"],
      ...events.map((e) => [
        e.id,
        e.keys.join(", "),
        String(e.attempts),
        `${e.errorType}: ${e.errorMessage}`.slice(0, 100),
        e.failedAt,
      ]),
    ]),
  );
  if (redriven.length > 0)
    output.line(output.ok(`re-drove ${redriven.length} event(s); follow them with 'pipeline logs --follow'`));
}
