import { CSRF_HEADER } from "../csrf.ts";

/** The page is served at `<base>/`: `/_pipeline/` on the engine, `/` by `pipeline ui`. */
export const base = location.pathname.replace(/\/[^/]*$/, "");

/** Rendered by the server: a read-only dashboard (pipeline ui on AWS, or with --read-only) offers no writes. */
export const writable = document.body.dataset.writable !== "false";

/** Headers every POST carries, so a cross-site page cannot forge one without a CORS preflight. */
export const postHeaders: Record<string, string> = { [CSRF_HEADER]: "1" };

/** Calls the dashboard's JSON API; a non-2xx answer throws its `error` message. */
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${base}${path}`, init);
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body as T;
}

/** The message of a caught error. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
