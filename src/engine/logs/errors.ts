import { ServiceError } from "../service/index.ts";

/** Base of the CloudWatch Logs errors; all are client errors (400) on AWS, by `__type`. */
export class LogsError extends ServiceError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(400, code, message, options);
    this.name = "LogsError";
  }
}

export class ResourceNotFoundError extends LogsError {
  constructor(message: string) {
    super("ResourceNotFoundException", message);
    this.name = "ResourceNotFoundError";
  }
}

export class ResourceAlreadyExistsError extends LogsError {
  constructor(message: string) {
    super("ResourceAlreadyExistsException", message);
    this.name = "ResourceAlreadyExistsError";
  }
}

export class InvalidParameterError extends LogsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("InvalidParameterException", message, options);
    this.name = "InvalidParameterError";
  }
}

/** Raised by compileFilterPattern; the service reports it as InvalidParameterException. */
export class FilterPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterPatternError";
  }
}
