/**
 * The verdict on a LocalStack-style `GET /_localstack/init/ready` answer. LocalStack completes the READY stage even
 * when a script fails (it only marks that script ERROR), so `completed` alone is not readiness: every script must
 * be SUCCESSFUL, and one ERROR is a failure at once, whatever the stage says.
 */
export type InitReadiness =
  | { kind: "ready"; scripts: string[] }
  | { kind: "pending" }
  | { kind: "failed"; failed: string[] };

interface StageAnswer {
  completed?: unknown;
  scripts?: unknown;
}

/**
 * Judges `/_localstack/init/ready`'s JSON body.
 *
 * @example
 * judgeInitReady({ completed: true, scripts: [{ stage: "READY", name: "10-stack.sh", state: "ERROR" }] });
 * // { kind: "failed", failed: ["10-stack.sh"] }
 */
export function judgeInitReady(body: unknown): InitReadiness {
  const answer = (body && typeof body === "object" ? body : {}) as StageAnswer;
  const scripts = Array.isArray(answer.scripts) ? answer.scripts : [];
  const named = scripts.map((script) => {
    const { name, state } = (script && typeof script === "object" ? script : {}) as Record<string, unknown>;
    return { name: typeof name === "string" ? name : "(unnamed)", state: String(state) };
  });
  const failed = named.filter((s) => s.state === "ERROR").map((s) => s.name);
  if (failed.length > 0) return { kind: "failed", failed };
  if (answer.completed !== true) return { kind: "pending" };
  // Completed with a script not yet SUCCESSFUL cannot happen in LocalStack's runner; treat it as not ready.
  if (named.some((s) => s.state !== "SUCCESSFUL")) return { kind: "pending" };
  return { kind: "ready", scripts: named.map((s) => s.name) };
}

/** The one-line error for failed init scripts: which ones, and where their output is. */
export function initFailureMessage(endpoint: string, failed: string[]): string {
  const which = failed.length === 1 ? `init script ${failed[0]}` : `init scripts ${failed.join(", ")}`;
  return `${which} failed (state ERROR) at ${endpoint}: the stack was not built; see the script's output with 'docker compose logs localstack' (LocalStack) or in the 'pipeline up' terminal (embedded engine)`;
}
