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
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
  constructor(readonly roleArn: string) {
    super("The role defined for the function cannot be assumed by Lambda.");
    this.name = "RoleNotAssumableError";
  }
}

/** Lambda's 404 for a function (or qualifier) that does not exist. */
export const functionNotFound = (arn: string) =>
  new ServiceError(404, "ResourceNotFoundException", `Function not found: ${arn}`);
