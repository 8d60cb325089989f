/**
 * AWS is eventually consistent where emulators are not: a new role, or a policy just put on one, can take ~10 s
 * before Lambda sees it, and SQS refuses a queue name deleted less than 60 s ago. Runs `action` again every 3 s
 * while `isTransient(error)` holds, for at most `windowMs` (0 on emulators: the first error is thrown).
 */
export async function retryWithinWindow<T>(
  action: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  windowMs: number,
): Promise<T> {
  const deadline = Date.now() + windowMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

/** How long real AWS may take to apply an IAM change. */
export const IAM_PROPAGATION_WINDOW_MS = 60_000;
