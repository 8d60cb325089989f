import { ServiceError } from "../service/index.ts";

/** Base class of the Lambda service's own errors. */
export class LambdaEngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LambdaEngineError";
  }
}

/** A deployment package that cannot be used: not a zip, or an entry that would escape the code directory. */
export class CodePackageError extends LambdaEngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodePackageError";
  }
}

/**
 * The function's code could not be initialised. `errorType` is what the Node.js runtime reports
 * (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, `Runtime.MalformedHandlerName`, ...).
 */
export class FunctionInitError extends LambdaEngineError {
  readonly errorType: string;
  readonly trace: string[];

  constructor(errorType: string, message: string, trace: string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.errorType = errorType;
    this.trace = trace;
    this.name = "FunctionInitError";
  }
}

/** The function was deleted (or never existed) while an invocation was waiting for it. */
export class FunctionGoneError extends LambdaEngineError {
  constructor(functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = "FunctionGoneError";
  }
}

/** The runner is shutting down; no new invocations start. */
export class RunnerClosedError extends LambdaEngineError {
  constructor() {
    super("the Lambda runner is stopping");
    this.name = "RunnerClosedError";
  }
}

/**
 * Lambda cannot assume the function's execution role (the role is gone, or its trust policy no longer allows
 * `lambda.amazonaws.com`), so no execution environment can start.
 */
export class RoleNotAssumableError extends LambdaEngineError {
  readonly roleArn: string;

  constructor(roleArn: string) {
    super("The role defined for the function cannot be assumed by Lambda.");
    this.roleArn = roleArn;
    this.name = "RoleNotAssumableError";
  }
}

/**
 * Every execution environment the engine allows (`maxEnvironments`) is busy, and a synchronous invocation does not
 * wait: AWS's account concurrency limit, answered as Invoke's 429 (see {@link concurrencyLimitExceeded}).
 */
export class ConcurrencyLimitError extends LambdaEngineError {
  readonly limit: number;

  constructor(limit: number) {
    super(`all ${limit} execution environments are busy`);
    this.limit = limit;
    this.name = "ConcurrencyLimitError";
  }
}

/**
 * Invoke's throttling answer over the account's concurrency (AWS Invoke API reference: TooManyRequestsException,
 * Reason `ConcurrentInvocationLimitExceeded` "if you ... have exceeded your account concurrent limit").
 */
export const concurrencyLimitExceeded = (cause: ConcurrencyLimitError) =>
  new ServiceError(429, "TooManyRequestsException", "Rate Exceeded.", {
    cause,
    fields: { Reason: "ConcurrentInvocationLimitExceeded" },
    headers: { "retry-after": "1" },
  });

/** Lambda's 404 for a function (or qualifier) that does not exist. */
export const functionNotFound = (arn: string) =>
  new ServiceError(404, "ResourceNotFoundException", `Function not found: ${arn}`);
