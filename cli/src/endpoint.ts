export const DEFAULT_ENDPOINT = "http://localhost:4566";

/** Endpoint from flag, then PIPELINE_ENDPOINT, then AWS_ENDPOINT_URL, then LocalStack's default. */
export function endpointFrom(options: { endpoint?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return (options.endpoint ?? env.PIPELINE_ENDPOINT ?? env.AWS_ENDPOINT_URL ?? DEFAULT_ENDPOINT).replace(
    /\/$/,
    "",
  );
}
