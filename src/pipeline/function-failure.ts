import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";
import { fetchLogEvents } from "./logs.ts";

/** What the Node.js runtime writes before the error of a failed invocation (`… ERROR\tInvoke Error \t{json}`). */
const invokeErrorMarker = "Invoke Error";

/**
 * The error of the function's last failed invocation for `s3://bucket/key`, from its log lines: the `Invoke Error`
 * line's `errorType: errorMessage`, narrowed to that object's part when the function failed a batch
 * (`BatchProcessingError: 1 of 1 records failed; first: s3://b/k: S3ServerError: …` → `S3ServerError: …`).
 * Undefined when no failure mentions the object.
 */
export function functionErrorForObject(
  lines: readonly string[],
  bucket: string,
  key: string,
): string | undefined {
  const object = `s3://${bucket}/${key}`;
  for (const line of [...lines].reverse()) {
    const at = line.indexOf(invokeErrorMarker);
    if (at < 0 || !line.includes(object)) continue;
    let error: { errorType?: unknown; errorMessage?: unknown };
    try {
      error = JSON.parse(line.slice(line.indexOf("{", at))) as typeof error;
    } catch {
      continue;
    }
    const message = String(error.errorMessage ?? "");
    const part = message.indexOf(`${object}: `);
    return part >= 0 ? message.slice(part + object.length + 2) : `${String(error.errorType)}: ${message}`;
  }
  return undefined;
}

/**
 * The function's last error for an object since `sinceMs`, read from its log group; undefined when there is none or
 * the logs cannot be read (this only explains a missing record, it never fails a command).
 */
export async function lastFunctionError(
  clients: Pick<AwsClients, "logs">,
  stack: Stack,
  key: string,
  sinceMs: number,
): Promise<string | undefined> {
  try {
    const events = await fetchLogEvents(clients, stack.logGroupName, { startTime: sinceMs - 1000 });
    return functionErrorForObject(
      events.map((event) => event.message),
      stack.bucket,
      key,
    );
  } catch {
    return undefined;
  }
}
