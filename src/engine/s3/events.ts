import type { EngineContext } from "../context.ts";
import { headerValue } from "../headers.ts";
import type { Caller, ObjectCreatedEvent, ServiceRequest } from "../types.ts";
import type { ObjectRecord } from "./storage/records.ts";

/**
 * S3 event sequencers: hex strings that increase strictly for every write, so consumers can order events for
 * a key. One global counter does that for all keys; it starts above both the clock and any persisted value
 * so it keeps increasing across restarts.
 */
export class Sequencer {
  #last: bigint;

  constructor(persistedMax: bigint, now = Date.now()) {
    const clock = BigInt(now) * 1000n;
    this.#last = persistedMax > clock ? persistedMax : clock;
  }

  /** The next sequencer, 16 upper-case hex digits. */
  next(): string {
    this.#last += 1n;
    return this.#last.toString(16).toUpperCase().padStart(16, "0");
  }
}

/** The principal S3 names in event records: `AWS:<access key>` for role sessions, the account id for admins. */
function principalIdOf(caller: Caller): string {
  return caller.role ? `AWS:${caller.accessKeyId}` : caller.accountId;
}

/** Publishes `objectCreated` for a write that is already durable and acknowledged-to-be. */
export function emitObjectCreated(
  context: EngineContext,
  request: ServiceRequest,
  eventName: ObjectCreatedEvent["eventName"],
  bucket: string,
  object: ObjectRecord,
): void {
  const event: ObjectCreatedEvent = {
    eventName,
    bucket,
    key: object.key,
    size: object.size,
    eTag: object.etag,
    sequencer: object.sequencer,
    eventTime: object.lastModified,
    requestId: request.requestId,
    sourceIp: sourceIpOf(request),
    principalId: principalIdOf(request.caller),
  };
  if (object.versionId !== undefined) event.versionId = object.versionId;
  context.events.emit("objectCreated", event);
}

function sourceIpOf(request: ServiceRequest): string {
  const first = headerValue(request.headers, "x-forwarded-for")?.split(",")[0]?.trim();
  return first || "127.0.0.1";
}
