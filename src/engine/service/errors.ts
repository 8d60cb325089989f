/**
 * The typed error every service operation throws; the dispatcher renders it in the protocol the request came in
 * (`<ErrorResponse>` for query, `{"__type": ...}` for the JSON protocols, `x-amzn-ErrorType` for rest-json,
 * `<Error>` for rest-xml).
 */
export interface ServiceErrorOptions {
  cause?: unknown;
  /**
   * The code the query protocol writes when it differs from the JSON one (AWS's `awsQueryCompatible` services,
   * such as SQS: `QueueDoesNotExist` in JSON, `AWS.SimpleQueueService.NonExistentQueue` in query). The JSON
   * protocol sends it in `x-amzn-query-error`, as AWS does.
   */
  queryCode?: string;
  /** The `__type` namespace when it is not the service's (DynamoDB's AccessDeniedException is Coral's). */
  typePrefix?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Extra members of a JSON error body (Lambda's TooManyRequestsException carries `Reason`). */
  fields?: Record<string, string>;
}

export class ServiceError extends Error {
  readonly queryCode: string | undefined;
  readonly typePrefix: string | undefined;
  /** Extra response headers (mutable: S3 adds `x-amz-delete-marker` once it knows). */
  headers: Record<string, string>;
  readonly fields: Record<string, string>;

  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.name = "ServiceError";
    this.queryCode = options.queryCode;
    this.typePrefix = options.typePrefix;
    this.headers = { ...options.headers };
    this.fields = { ...options.fields };
  }

  /** Whether the caller (4xx) or the service (5xx) is at fault: query's `Type`, rest-json's `Type`. */
  get fault(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}
