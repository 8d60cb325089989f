/** Base class of the function's own errors. */
class IngestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IngestError";
  }
}

/** The object disappeared between the event and HeadObject (deleted or overwritten). */
export class ObjectMissingError extends IngestError {
  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super(`object s3://${bucket}/${key} no longer exists`, options);
    this.name = "ObjectMissingError";
  }
}

/**
 * The object was overwritten after the event and the event's version is gone (an unversioned bucket keeps
 * only the newest): the newer content has its own event and record, so this one is skipped, not failed.
 */
export class ObjectSupersededError extends IngestError {
  constructor(bucket: string, key: string, eTag: string, options?: { cause?: unknown }) {
    super(`object s3://${bucket}/${key} was overwritten; version ${eTag} is no longer readable`, options);
    this.name = "ObjectSupersededError";
  }
}

/**
 * HeadObject answered 403. HEAD responses have no body, so the SDK can only say "UnknownError"; this names the
 * likely cause. Not skipped: once the policy is fixed, the platform's retry (or a re-drive) succeeds.
 */
export class ObjectAccessDeniedError extends IngestError {
  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super(
      `access denied reading s3://${bucket}/${key} (HTTP 403 on HeadObject): the execution role needs s3:GetObject on it`,
      options,
    );
    this.name = "AccessDenied";
  }
}

/**
 * HeadObject answered 5xx. HEAD responses have no body, so the SDK can only say "UnknownError"; this names the
 * status (503 is S3's SlowDown, 500 its InternalError). Retryable: the platform's retry or a re-drive succeeds.
 */
export class ObjectReadServerError extends IngestError {
  constructor(bucket: string, key: string, status: number, options?: { cause?: unknown }) {
    super(
      `S3 answered HTTP ${status}${status === 503 ? " (SlowDown)" : status === 500 ? " (InternalError)" : ""} to HeadObject for s3://${bucket}/${key}: a server-side failure, retried by the platform (on the engine, also what --s3-fault-rate injects)`,
      options,
    );
    this.name = "S3ServerError";
  }
}

/** The conditional write found the same PK/SK: a duplicate delivery. */
export class DuplicateRecordError extends IngestError {
  constructor(pk: string, sk: string, options?: { cause?: unknown }) {
    super(`record ${pk} / ${sk} already exists`, options);
    this.name = "DuplicateRecordError";
  }
}

/**
 * Thrown at the end of an invocation when some records failed for a retryable reason, so the platform re-drives
 * the event; records already written are then duplicates, which the conditional write absorbs.
 */
export class BatchProcessingError extends IngestError {
  readonly failures: Array<{ bucket: string; key: string; error: Error }>;

  constructor(failures: Array<{ bucket: string; key: string; error: Error }>, total: number) {
    const first = failures[0];
    super(
      `${failures.length} of ${total} records failed; first: s3://${first?.bucket}/${first?.key}: ${first?.error.name}: ${first?.error.message}`,
      { cause: first?.error },
    );
    this.failures = failures;
    this.name = "BatchProcessingError";
  }
}
