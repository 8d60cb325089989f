import pLimit from "p-limit";
import type { AwsClients } from "../aws/clients.ts";
import type { FailedEvent } from "../pipeline/failed-events.ts";
import {
  listFailedEvents,
  OnFailureQueueMissingError,
  type RedriveOutcome,
  redriveFailedEvents,
} from "../pipeline/failed-queue.ts";
import type { Stack } from "../stack/spec.ts";
import { DashboardRequestError } from "./errors.ts";

/** What the failed-events panel says it lists, the same on every target. */
export const FAILED_EVENTS_NOTE =
  "Asynchronous invocations that failed after all retries, read from the function's on-failure queue. Re-drive invokes the function with the original event and deletes the message once its record exists.";

/** The failed-events panel's source: the stack's on-failure queue, read through SQS as `pipeline failed` reads it. */
export interface FailedEventsSource {
  failed(): Promise<FailedEvent[]>;
  /** Re-drives one event; a DashboardRequestError when there is none with that id (404) or it was kept (502). */
  redrive(id: string): Promise<RedriveOutcome>;
}

/**
 * The panel's source for any dashboard host (the engine's, `pipeline ui`'s): `clients` is called on each use
 * (the engine's dashboard makes its clients once the edge listens). `exactCounts` on an emulator: an empty queue
 * is listed from its counts at once, not after a 1 s long poll (listFailedEvents).
 */
export function onFailureQueueSource(
  clients: () => AwsClients,
  stack: Stack,
  options: { exactCounts: boolean },
): FailedEventsSource {
  // A listing or a re-drive holds the messages it received (invisible to other readers) until it ends, so a
  // listing run beside a re-drive would miss the events the re-drive holds: the panel's calls take turns.
  const inTurn = pLimit(1);
  /** One queue call, in turn; a missing queue is the dashboard's 409. */
  const queueCall = <T>(work: () => Promise<T>): Promise<T> =>
    inTurn(async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof OnFailureQueueMissingError)
          throw new DashboardRequestError(409, error.message, { cause: error });
        throw error;
      }
    });
  return {
    failed: () => queueCall(() => listFailedEvents(clients(), stack, options)),
    async redrive(id) {
      const [outcome] = await queueCall(() => redriveFailedEvents(clients(), stack, { id }));
      if (!outcome) throw new DashboardRequestError(404, `no failed event ${id}`);
      if (!outcome.ok)
        throw new DashboardRequestError(502, `kept in the queue: ${outcome.error ?? "unknown"}`);
      return outcome;
    },
  };
}
