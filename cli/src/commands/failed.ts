import type { FailedEvent } from "../../../src/pipeline/failed-events.ts";
import {
  listFailedEvents,
  OnFailureQueueMissingError,
  type RedriveOutcome,
  redriveFailedEvents,
} from "../../../src/pipeline/failed-queue.ts";
import { CheckFailedError, EnvironmentError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output, table } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";

export interface FailedOptions extends GlobalOptions {
  redrive?: string;
  redriveAll?: boolean;
}

/**
 * `pipeline failed`: asynchronous invocations that failed after all retries, read from the function's on-failure
 * queue (the same on the engine, LocalStack and AWS), and re-drive by id or all at once: each event is invoked
 * again with its original payload and its message deleted only once its record exists.
 */
export async function failed(options: FailedOptions): Promise<void> {
  const output = new Output({ json: options.json });
  if (options.redrive && options.redriveAll)
    throw new UsageError("use either --redrive <id> or --redrive-all");
  const target = await resolveTarget(options, ["sqs", "lambda", "documents"]);
  try {
    // Any part of the stack is enough to list its failed events; the function, whose client this verb loads for
    // the re-drive, is looked for first, so the bucket's and the table's clients load only when it is missing.
    await requireStack(target, [], "function");
    const { clients, stack } = target;
    let events: FailedEvent[];
    try {
      events = await listFailedEvents(clients, stack, { exactCounts: target.kind === "emulator" });
    } catch (error) {
      if (error instanceof OnFailureQueueMissingError)
        throw new EnvironmentError(error.message, { cause: error });
      throw error;
    }
    const selection = options.redriveAll
      ? { all: true as const }
      : options.redrive
        ? { id: options.redrive }
        : undefined;
    if (selection && "id" in selection && !events.some((e) => e.id === selection.id))
      throw new UsageError(`no failed event with id ${selection.id}`);
    let outcomes: RedriveOutcome[] = [];
    if (selection && events.length > 0) {
      await confirmAwsWrite(
        target,
        output,
        `re-invoke ${stack.functionName} with failed events`,
        options.yes,
      );
      outcomes = await redriveFailedEvents(clients, stack, selection, {
        onOutcome: (o) =>
          output.info(
            `  ${o.ok ? output.ok("re-driven") : output.bad("kept")} ${o.event.id} ${o.event.keys.join(", ")}${o.error ? output.dim(` (${o.error})`) : ""}`,
          ),
      });
    }
    const redriven = outcomes.filter((o) => o.ok).map((o) => o.event.id);
    const kept = outcomes.filter((o) => !o.ok).map((o) => ({ id: o.event.id, error: o.error ?? "" }));
    output.data({ queue: stack.onFailureQueue.name, events, redriven, kept });
    if (events.length === 0) output.line(`no failed events in ${stack.onFailureQueue.name}`);
    else {
      output.line(
        table([
          ["id", "keys", "attempts", "error", "failed at"],
          ...events.map((e) => [
            e.id,
            e.keys.join(", ") || "(no object)",
            String(e.attempts),
            `${e.errorType}: ${e.errorMessage}`.slice(0, 100),
            e.failedAt,
          ]),
        ]),
      );
    }
    if (redriven.length > 0)
      output.line(
        output.ok(`re-drove ${redriven.length} event(s): their records exist and their messages are deleted`),
      );
    if (kept.length > 0)
      throw new CheckFailedError(
        `${kept.length} event(s) kept in ${stack.onFailureQueue.name}: ${kept.map((k) => `${k.id}: ${k.error}`).join("; ")}`,
      );
    if (selection && "id" in selection && redriven.length === 0)
      throw new CheckFailedError(
        `failed event ${selection.id} was not re-driven (another reader may hold it)`,
      );
  } finally {
    target.clients.destroy();
  }
}
