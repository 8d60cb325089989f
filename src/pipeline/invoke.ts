import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";

/** The outcome of one synchronous invocation of the stack's function. */
export interface InvocationResult {
  ok: boolean;
  /** `ErrorType: message` from the function's error payload, when it failed. */
  error?: string;
  /** The invocation's request ID (Lambda's x-amzn-RequestId), to find its log lines. */
  requestId?: string;
}

/** Invokes the stack's function synchronously (RequestResponse) with a payload; a function error is a result. */
export async function invokeSynchronously(
  clients: Pick<AwsClients, "lambda">,
  stack: Stack,
  payload: unknown,
): Promise<InvocationResult> {
  const response = await clients.lambda.send(
    new InvokeCommand({
      FunctionName: stack.functionName,
      InvocationType: "RequestResponse",
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  const requestId = response.$metadata.requestId;
  const id = requestId ? { requestId } : {};
  if (!response.FunctionError) return { ok: true, ...id };
  const text = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
  let error = text;
  try {
    const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    error = `${parsed.errorType ?? "Error"}: ${parsed.errorMessage ?? ""}`;
  } catch {
    // keep the raw payload
  }
  return { ok: false, error, ...id };
}
