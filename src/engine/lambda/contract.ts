import type { CallingPrincipal } from "../types.ts";
import type { RuntimeReport } from "./runtimes.ts";

/**
 * What Lambda offers the other services and the engine's host in-process: the asynchronous invoke with its retry
 * queue (S3's Lambda notifier delivers through it), the resource-policy check S3 runs when a notification is
 * configured, and the failed-event list the control API serves. Nothing else of `lambda/` is theirs to import.
 */

export type InvokePermission = { ok: true } | { ok: false; reason: string };

interface AsyncInvokeOptions {
  /** Who invokes: a service principal (checked against the function's resource policy) or a signed caller. */
  invoker: CallingPrincipal;
  /** Wait this long before the first attempt (fault injection's delivery jitter). */
  delayMs?: number;
  requestId?: string;
}

type AsyncInvokeResult =
  | { ok: true; requestId: string; functionName: string }
  | { ok: false; reason: string };

/**
 * The answer to "may this principal invoke this function?", asked once per delivery: when it may, `invoke`
 * queues events without asking again (every copy of one S3 event, one invocation record).
 */
type InvokeGrant =
  | {
      ok: true;
      functionName: string;
      invoke(payload: string, options?: { delayMs?: number; requestId?: string }): { requestId: string };
    }
  | { ok: false; reason: string };

/** An asynchronous invocation that exhausted its retries (or its maximum age). */
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

export interface LambdaInvokeApi {
  /**
   * Whether `invoker` may invoke the function asynchronously: a service principal under the function's resource
   * policy, with its `aws:SourceArn` and `aws:SourceAccount` (checked whether or not IAM is enforced, as AWS
   * does), a caller by its identity policies with the function's policy (policy/authorize.ts). The question
   * `authorizeInvoke` asks, without the grant (S3 asks it when a notification is configured).
   */
  canInvoke(functionArn: string, invoker: CallingPrincipal): InvokePermission;
  /**
   * Queues an asynchronous invocation (`InvocationType: Event`): retried on failure as the function's
   * event-invoke configuration says, then sent to its destinations. Refused when the invoker may not invoke.
   */
  invokeAsync(functionArn: string, payload: string, options: AsyncInvokeOptions): AsyncInvokeResult;
  /**
   * Checks once whether `invoker` may invoke the function (as `canInvoke`); the grant's `invoke` queues asynchronous invocations without a
   * second check. The delivery module (`delivery/`) asks this.
   */
  authorizeInvoke(functionArn: string, invoker: AsyncInvokeOptions["invoker"]): InvokeGrant;
  /** Asynchronous invocations that failed after all retries, oldest first. */
  listFailedEvents(): FailedEvent[];
  /** Re-queues a failed event for asynchronous invocation; false when the id is unknown. */
  redriveFailedEvent(id: string): boolean;
  /** Which Node binary runs each Node.js runtime here, and whether it is emulated on the engine's own. */
  runtimes(): Record<string, RuntimeReport>;
}
