import type { LambdaInvokeApi } from "../lambda/contract.ts";
import type { Carrier } from "./carrier.ts";

/**
 * Lambda's carrier: `LambdaInvokeApi.authorizeInvoke` once (policy/authorize.ts: the function's resource policy
 * for a service principal, with the caller's identity policies for a role), then one asynchronous invocation per copy, the message
 * body as the event. A function takes no message attributes: a message with some is refused, not trimmed.
 */
export function lambdaCarrier(lambda: Pick<LambdaInvokeApi, "canInvoke" | "authorizeInvoke">): Carrier {
  return {
    check(arn, principal) {
      const verdict = lambda.canInvoke(arn, principal);
      return verdict.ok
        ? { ok: true }
        : { ok: false, reason: verdict.reason, missing: verdict.reason.startsWith("function not found") };
    },
    authorize(arn, principal) {
      const grant = lambda.authorizeInvoke(arn, principal);
      if (!grant.ok) return grant;
      return {
        ok: true,
        carry(message, delayMs) {
          if (message.attributes)
            return { ok: false, reason: "a Lambda function takes no message attributes" };
          const { requestId } = grant.invoke(message.body, delayMs > 0 ? { delayMs } : {});
          return { ok: true, service: "lambda", functionName: grant.functionName, requestId };
        },
      };
    },
  };
}
