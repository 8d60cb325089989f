import type { EngineCompat } from "./like-localstack.ts";
import type { EnginePlugin } from "./plugin.ts";
import type { FaultOptions } from "./types.ts";

export type DynamoDbBackend = "dynalite" | "dynamodb-local";

/** Options of `startEngine`; the CLI's `pipeline up` flags map onto these. */
export interface EngineOptions {
  /** Port on `host`; 0 picks a free one. Default 4566, LocalStack's edge port. */
  port?: number;
  /** Interface to bind; loopback unless explicitly told otherwise. */
  host?: string;
  /**
   * Browser pages (origins, `http://localhost:3000`) that may call the engine, besides its own; added to
   * `EXTRA_CORS_ALLOWED_ORIGINS`. Pages of any other origin get 403 (`DISABLE_CORS_CHECKS=1` turns that off).
   */
  corsOrigins?: string[];
  /** Host names the engine answers to besides loopback names and the bound address; others get 421. */
  allowedHosts?: string[];
  /**
   * Header and body timeouts of the edge (defaults 20 s and 60 s; tests set them low). The body timeout closes a
   * request body that sends no byte, and an answer its client reads no byte of, for that long.
   */
  timeouts?: { headersMs?: number; bodyIdleMs?: number };
  /**
   * Buffered request bytes in flight across all requests, at most (default 256 MiB); beyond it requests get
   * their service's throttling error (S3 `SlowDown`).
   */
  maxBufferedRequestBytes?: number;
  /** Keep every service's state here across restarts (see src/engine/store/); in memory when absent. */
  dataDir?: string;
  /**
   * With `dataDir`: floor of the S3 journal's compaction trigger, compacting once the records appended since
   * the last compaction exceed max(this, 2 × live records). Default 10,000; tests set it low.
   */
  s3JournalCompactAfter?: number;
  accountId?: string;
  region?: string;
  /**
   * Verify SigV4 signatures of S3 requests (headers and presigned URLs) against the known keys: the account's
   * `test` key and keys STS or the Lambda runtime issued. Off by default, as in LocalStack.
   */
  verifySignatures?: boolean;
  /** Evaluate role credentials against IAM policies (default true; always off with `like: "localstack"`). */
  enforceIam?: boolean;
  /**
   * Behave like LocalStack community 4.14.0 where it differs from AWS (see like-localstack.ts): IAM not enforced,
   * Logs filter patterns ignored, `LAMBDA_RETRY_BASE_DELAY` honoured, LocalStack's `/_localstack/*` shapes.
   */
  like?: "localstack";
  /** Resolved by `startEngine` from `like` (services read it; callers set `like`). */
  compat?: EngineCompat;
  dynamodbBackend?: DynamoDbBackend;
  faults?: FaultOptions;
  lambda?: {
    /** Execution environments per function at most (default 4). */
    maxConcurrency?: number;
    /**
     * Execution environments of all functions together at most (default 16, about 45 MB each): beyond, idle ones
     * are stopped to make room, then synchronous invokes get 429 TooManyRequestsException and asynchronous ones
     * wait in their queue, as over AWS's account concurrency.
     */
    maxEnvironments?: number;
    /** Async retries after the first attempt (default 2, as on AWS). */
    maxRetries?: number;
    /** Base backoff between async retries in ms (AWS waits ~1 min then ~2 min; locally default 200 ms). */
    retryBaseDelayMs?: number;
    /** Explicit runtime → Node binary mappings (`{ "nodejs24.x": "/opt/node24/bin/node" }`); see runtimes.ts. */
    runtimeNodes?: Record<string, string>;
    /** Refuse a runtime whose Node major is not on this machine instead of emulating it on the engine's Node. */
    strictRuntime?: boolean;
    /**
     * Run one function under the Node inspector (`--inspect=127.0.0.1:<port>`) for a debugger to attach: one
     * execution environment at a time (the port has one holder), and no invocation or init timeout (see
     * runner.ts).
     */
    inspect?: { functionName: string; port: number };
  };
  /** Extensions mounted on the edge, started in order (see plugin.ts); `pipeline up` adds the dashboard. */
  plugins?: readonly EnginePlugin[];
  /** Engine diagnostics sink; silent by default. */
  log?: (message: string) => void;
  /**
   * What a user must see even without diagnostics (with `dataDir`: a torn tail dropped at start, files checked);
   * `log` when absent.
   */
  notice?: (message: string) => void;
}
