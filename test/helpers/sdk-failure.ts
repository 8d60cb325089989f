/** The error an SDK call fails with: its name, query-compatible code, message and HTTP status. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ name: string; code?: string; message: string; status?: number }> {
  try {
    await call;
  } catch (error) {
    const failed = error as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: failed.name,
      ...(failed.Code === undefined ? {} : { code: failed.Code }),
      message: failed.message,
      ...(failed.$metadata?.httpStatusCode === undefined ? {} : { status: failed.$metadata.httpStatusCode }),
    };
  }
  throw new Error("the call succeeded");
}
