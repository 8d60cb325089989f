/**
 * The engine's activity events: what observers (the dashboard, tests) learn of deliveries, invocations, retries
 * and function output. One discriminated union, keyed by `kind`; every emitter goes through
 * `EngineEventBus.activity` (context.ts), so an event the union does not describe does not compile.
 */

/** How one invocation ended, as the runner reports it. */
export type InvokeOutcome = "success" | "error" | "init-error" | "timeout" | "crash" | "oom" | "init";

/** Where an asynchronous invocation's outcome was sent: its destinations or its dead-letter queue. */
export type DestinationRole = "on-success" | "on-failure" | "dead-letter";

export type ActivityEvent =
  /** S3 queued one copy of an event for a function (LambdaFunctionConfiguration). */
  | {
      kind: "s3.delivery.queued";
      bucket: string;
      key: string;
      functionName: string;
      requestId: string;
      copy?: number;
      delayMs?: number;
    }
  /** S3 sent one copy of an event to a queue (QueueConfiguration). */
  | {
      kind: "s3.delivery.sent";
      bucket: string;
      key: string;
      queueArn: string;
      messageId: string;
      copy: number;
      delayMs: number;
    }
  /** S3 could not deliver an event to a destination (not allowed, gone, refused). */
  | { kind: "s3.delivery.dropped"; bucket: string; key: string; destinationArn: string; reason: string }
  | {
      kind: "invoke.start";
      functionName: string;
      requestId: string;
      cold: boolean;
      codeSha256?: string;
    }
  | {
      kind: "invoke.end";
      functionName: string;
      requestId: string;
      cold: boolean;
      durationMs?: number;
      /** Read from a REPORT line (the remote dashboard): the run was a cold start. */
      initDurationMs?: number;
      outcome: InvokeOutcome;
      /** `<errorType>: <errorMessage>` */
      error?: string;
    }
  /** A failed asynchronous attempt will be retried after `delayMs`. */
  | {
      kind: "async.retry";
      functionName: string;
      requestId: string;
      attempt: number;
      delayMs: number;
      error: string;
    }
  /** An asynchronous event exhausted its retries or its maximum age. */
  | {
      kind: "async.failed";
      functionName: string;
      requestId: string;
      failedEventId: string;
      attempts: number;
      condition?: string;
      error: string;
    }
  /** A failed event was queued again (`requestId` is the re-drive's). */
  | { kind: "async.redrive"; functionName: string; failedEventId: string; requestId: string }
  /** An asynchronous invocation's outcome was sent to a destination (or could not be). */
  | {
      kind: "async.destination";
      functionName: string;
      requestId: string;
      role: DestinationRole;
      destinationArn: string;
      ok: boolean;
      /** The queue's message ID (SQS) or the target invocation's request ID (Lambda). */
      deliveryId?: string;
      error?: string;
    }
  /** Log events were stored in a log group (function output). */
  | {
      kind: "log";
      group: string;
      stream: string;
      events: Array<{ timestamp: number; message: string }>;
    };

export type ActivityKind = ActivityEvent["kind"];

/** The event of one kind, e.g. `ActivityOf<"invoke.end">`. */
export type ActivityOf<K extends ActivityKind> = Extract<ActivityEvent, { kind: K }>;
