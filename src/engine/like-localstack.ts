/**
 * `startEngine({ like: "localstack" })` (`pipeline up --like localstack`): the engine takes LocalStack community
 * 4.14.0's known deviations from AWS where this project's suites and CLI meet them, so a suite or a CLI path that
 * only holds on the embedded engine fails here instead of in the Docker job. Every deviation is declared in this
 * file and nowhere else; docs/localstack.md cites LocalStack's source for each.
 */

/** The LocalStack release whose behaviour `like: "localstack"` copies (docker-compose.yml pins its image). */
const LOCALSTACK_VERSION = "4.14.0";

/** What a service does differently when the engine behaves like LocalStack community. */
export interface EngineCompat {
  /** Who the engine says it is (`/_localstack/health` and `/_localstack/info`): `embedded` or LocalStack's edition. */
  edition: "embedded" | "community";
  version: string;
  /** IAM policies and trust policies evaluated (LocalStack community: never; ENFORCE_IAM is a paid feature). */
  enforceIam: boolean;
  /** CloudWatch Logs filter patterns applied (LocalStack community: every event matches, no pattern is checked). */
  logsFilterPatterns: boolean;
  /** The engine's own routes (`/_pipeline/control`, engine fields of `/_localstack/info`): LocalStack has none. */
  engineRoutes: boolean;
  /** Base delay of asynchronous Lambda retries in ms; undefined keeps the engine's default. */
  lambdaRetryBaseDelayMs: number | undefined;
}

/** The embedded engine's own behaviour. */
export const EMBEDDED: EngineCompat = {
  edition: "embedded",
  version: "",
  enforceIam: true,
  logsFilterPatterns: true,
  engineRoutes: true,
  lambdaRetryBaseDelayMs: undefined,
};

/** A LocalStack configuration variable the engine cannot honour as given. */
export class LocalStackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalStackConfigError";
  }
}

/**
 * LocalStack's `LAMBDA_RETRY_BASE_DELAY` (seconds, default 60): `int(os.getenv("LAMBDA_RETRY_BASE_DELAY") or 60)`.
 * Python's int() refuses anything but an integer, and LocalStack then does not start: refused here too.
 */
export function retryBaseDelayMs(value: string | undefined): number {
  if (value === undefined || value === "") return 60_000;
  const trimmed = value.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new LocalStackConfigError(
      `LAMBDA_RETRY_BASE_DELAY=${value}: expected whole seconds (LocalStack reads it with int(), default 60)`,
    );
  }
  const seconds = Number(trimmed);
  if (seconds < 0)
    throw new LocalStackConfigError(`LAMBDA_RETRY_BASE_DELAY=${value}: expected 0 or more seconds`);
  return seconds * 1000;
}

/**
 * LocalStack community's behaviour, with the LocalStack variables this project sets (docker-compose.yml) read from
 * `env` with LocalStack's defaults. An explicit engine option still wins over the variable.
 */
export function likeLocalStack(env: NodeJS.ProcessEnv): EngineCompat {
  return {
    edition: "community",
    version: LOCALSTACK_VERSION,
    enforceIam: false,
    logsFilterPatterns: false,
    engineRoutes: false,
    lambdaRetryBaseDelayMs: retryBaseDelayMs(env.LAMBDA_RETRY_BASE_DELAY),
  };
}

/**
 * The LocalStack configuration variables this project sets (docker-compose.yml) or documents, as LocalStack 4.14.0
 * reads them, and what `like: "localstack"` does with each. Source lines: docs/localstack.md.
 */
export const LOCALSTACK_VARIABLES = {
  SERVICES: {
    default: "(every service)",
    engine: "no effect: the engine serves all seven services the stack uses",
  },
  LOCALSTACK_AUTH_TOKEN: { default: "(none)", engine: "no effect: 4.14.0 starts without one" },
  DEBUG: { default: "0", engine: "no effect: `pipeline up --debug` prints the engine's diagnostics" },
  LAMBDA_IGNORE_ARCHITECTURE: { default: "0", engine: "no effect: functions run on the host's Node" },
  LAMBDA_RETRY_BASE_DELAY: { default: "60", engine: "honoured: async retries after 1× and 2× it (seconds)" },
  DISABLE_CORS_CHECKS: { default: "0", engine: "honoured by the request guard, in every mode" },
  EXTRA_CORS_ALLOWED_ORIGINS: { default: "(none)", engine: "honoured by the request guard, in every mode" },
} as const satisfies Record<string, { default: string; engine: string }>;
