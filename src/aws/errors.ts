/** The SDK v3 error name (`NoSuchKey`, `ResourceNotFoundException`, ...), or "" for non-SDK errors. */
export function errorName(error: unknown): string {
  return typeof error === "object" && error !== null ? String((error as { name?: unknown }).name ?? "") : "";
}

/**
 * The error names AWS answers when the thing asked for does not exist: a resource (`ResourceNotFoundException`,
 * `NoSuchBucket`, `NoSuchKey`, IAM's `NoSuchEntity`, HEAD's bare `NotFound`) or one of a bucket's optional
 * configurations. LocalStack spells IAM's as `NoSuchEntityException`; SQS says `QueueDoesNotExist` (JSON protocol) or
 * `AWS.SimpleQueueService.NonExistentQueue` (query protocol).
 */
const notFoundErrorNames = new Set([
  "ResourceNotFoundException",
  "NotFound",
  "NoSuchBucket",
  "NoSuchKey",
  "NoSuchEntity",
  "NoSuchEntityException",
  "NoSuchPublicAccessBlockConfiguration",
  "ServerSideEncryptionConfigurationNotFoundError",
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
]);

/** Whether an SDK v3 error says that what was asked for does not exist. */
export function isNotFoundError(error: unknown): boolean {
  return notFoundErrorNames.has(errorName(error));
}

/** HTTP status of an SDK v3 error, when the service answered. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Connection-level failures: nothing is listening at the endpoint. */
export function isConnectionError(error: unknown): boolean {
  const code =
    (error as { code?: string; cause?: { code?: string } } | undefined)?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  return (
    ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH"].includes(String(code)) ||
    errorName(error) === "TimeoutError"
  );
}
