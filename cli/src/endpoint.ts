const DEFAULT_ENDPOINT = "http://localhost:4566";

/** Where the endpoint a command uses came from: hints repeat it only when the next command would not find it. */
export type EndpointSource = "flag" | "PIPELINE_ENDPOINT" | "PIPELINE_PORT" | "AWS_ENDPOINT_URL" | "default";

/**
 * The endpoint and where it came from: the flag, then PIPELINE_ENDPOINT, then PIPELINE_PORT (the embedded engine on
 * this machine), then AWS_ENDPOINT_URL, then LocalStack's default.
 */
export function resolveEndpoint(
  options: { endpoint?: string },
  env: NodeJS.ProcessEnv = process.env,
): { endpoint: string; source: EndpointSource } {
  const pick = (): { endpoint: string; source: EndpointSource } => {
    if (options.endpoint) return { endpoint: options.endpoint, source: "flag" };
    if (env.PIPELINE_ENDPOINT) return { endpoint: env.PIPELINE_ENDPOINT, source: "PIPELINE_ENDPOINT" };
    if (env.PIPELINE_PORT)
      return { endpoint: `http://127.0.0.1:${env.PIPELINE_PORT}`, source: "PIPELINE_PORT" };
    if (env.AWS_ENDPOINT_URL) return { endpoint: env.AWS_ENDPOINT_URL, source: "AWS_ENDPOINT_URL" };
    return { endpoint: DEFAULT_ENDPOINT, source: "default" };
  };
  const picked = pick();
  return { ...picked, endpoint: picked.endpoint.replace(/\/$/, "") };
}

/**
 * The endpoint as messages show it: a password in the URL (`http://user:secret@host`) becomes `***`, so no message,
 * hint or error repeats it.
 */
export function redactEndpoint(endpoint: string): string {
  return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, "$1:***@");
}

/** The endpoint without user information, for requests (fetch refuses URLs that carry credentials). */
export function endpointWithoutCredentials(endpoint: string): string {
  return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

/** The password of an endpoint URL, when it has one (what every message must mask). */
export function endpointSecret(endpoint: string | undefined): string | undefined {
  const match = endpoint?.match(/^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:([^/@\s]+)@/i);
  return match?.[1];
}

/**
 * The `--endpoint` a hint must carry so the next command reaches the same place: none when it comes from the
 * environment (the next command reads it too) or is the default.
 */
export function endpointFlag(endpoint: string, source: EndpointSource): string {
  return source === "flag" ? ` --endpoint ${redactEndpoint(endpoint)}` : "";
}

/** How to start something at an endpoint where nothing listens: `up` with its port on this machine. */
export function startHint(endpoint: string): string {
  const url = new URL(endpoint);
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (!local) return "start the engine or LocalStack there, or point --endpoint elsewhere";
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return port === "4566"
    ? "start the embedded engine with `npx pipeline up` or LocalStack with `docker compose up`"
    : `start the embedded engine there with \`npx pipeline up --port ${port}\``;
}

/** SDK errors that mean the answer was not an AWS service's (HTML, plain text, a proxy's page). */
export function isNotAwsAnswer(error: unknown): boolean {
  const message = String((error as Error | undefined)?.message ?? "");
  const code = String((error as { code?: unknown } | undefined)?.code ?? "");
  return /Deserialization error|XML parse error|^Parse Error/.test(message) || code.startsWith("HPE_");
}

/** The one line for an endpoint that answers, but not like AWS. */
export function notAwsMessage(endpoint: string, answer?: string): string {
  return `${redactEndpoint(endpoint)} answered like no AWS service${answer ? ` (${answer})` : ""}: is --endpoint (or PIPELINE_ENDPOINT / PIPELINE_PORT) the engine or LocalStack?`;
}
