/** Exit codes: 0 success, 1 a check failed or work partly failed, 2 usage or environment error. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** An error the CLI reports as one line and turns into an exit code; only main.ts exits. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

/** Bad flag, missing file, malformed argument: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ExitCode.usage, message, options);
    this.name = "UsageError";
  }
}

/** The environment is not usable (endpoint unreachable, credentials missing): exit 2. */
export class EnvironmentError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ExitCode.usage, message, options);
    this.name = "EnvironmentError";
  }
}

/** A check failed or part of the work failed: exit 1 (the details were already printed). */
export class CheckFailedError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ExitCode.failed, message, options);
    this.name = "CheckFailedError";
  }
}
