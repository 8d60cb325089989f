import type { RuntimeReport } from "./lambda/runtimes.ts";
import type { QueueSender } from "./sqs/contract.ts";
import type { ConditionContext } from "./types.ts";

/**
 * In-process APIs that one service offers another (never over HTTP): the contracts between the
 * engine's services. Each service registers its side on `EngineContext.internal` when it starts.
 */

export interface IamRoleRecord {
  roleName: string;
  roleArn: string;
  roleId: string;
  assumeRolePolicyDocument: string;
  createDate: string;
}

export interface IamInternal {
  getRole(roleNameOrArn: string): IamRoleRecord | undefined;
  /**
   * Evaluates a resource-based policy (e.g. a Lambda function policy) for a service principal such as
   * `s3.amazonaws.com`. Returns true only when a statement allows it and none denies it.
   */
  resourcePolicyAllows(
    policyDocument: string,
    principal: { service?: string; aws?: string },
    action: string,
    resource: string,
    context: ConditionContext,
  ): boolean;
}

export interface LogEventInput {
  timestamp: number;
  message: string;
}

export interface LogsInternal {
  /** Appends events to a stream, creating the stream (not the group) if needed; false when the group is missing. */
  putLogEvents(groupName: string, streamName: string, events: LogEventInput[]): boolean;
  /** Creates the group if missing (the Lambda runtime does this when the role allows `logs:CreateLogGroup`). */
  ensureLogGroup(groupName: string): void;
  hasLogGroup(groupName: string): boolean;
}

export interface LambdaInternal {
  /**
   * Whether `principal` may invoke the function under its resource policy, with `aws:SourceArn` and
   * `aws:SourceAccount` as S3 sends them. Used by S3 to validate and deliver notifications.
   */
  canInvoke(
    functionArn: string,
    principalService: string,
    context: ConditionContext,
  ): { ok: true } | { ok: false; reason: string };
  /** Asynchronous invocations that failed after all retries, oldest first. */
  listFailedEvents(): FailedEvent[];
  /** Re-queues a failed event for asynchronous invocation; false when the id is unknown. */
  redriveFailedEvent(id: string): boolean;
  /** Which Node binary runs each Node.js runtime here, and whether it is emulated on the engine's own. */
  runtimes(): Record<string, RuntimeReport>;
}

/** One Lambda destination of a bucket's notification configuration. */
export interface LambdaNotification {
  id: string;
  lambdaFunctionArn: string;
  /** As configured, e.g. `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface S3Internal {
  getLambdaNotifications(bucket: string): LambdaNotification[];
}

/** An asynchronous invocation that exhausted its retries (AWS would send it to a DLQ / on-failure destination). */
export interface FailedEvent {
  id: string;
  functionName: string;
  /** The event payload, as delivered. */
  payload: unknown;
  attempts: number;
  errorType: string;
  errorMessage: string;
  requestIds: string[];
  firstAttemptAt: string;
  failedAt: string;
}

export interface InternalApis {
  /** SQS's sending side (src/engine/sqs/contract.ts), for Lambda destinations and S3's queue notifier. */
  sqs?: QueueSender;
  iam?: IamInternal;
  logs?: LogsInternal;
  lambda?: LambdaInternal;
  s3?: S3Internal;
}
