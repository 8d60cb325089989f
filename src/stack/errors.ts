/** A provisioning step failed; names the step and the resource, and carries the SDK error as cause. */
export class ProvisionError extends Error {
  readonly step: string;
  readonly resource: string;

  constructor(step: string, resource: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`provisioning step '${step}' failed for ${resource}: ${reason}`, { cause });
    this.step = step;
    this.resource = resource;
    this.name = "ProvisionError";
  }
}

/** Teardown failed at one step. */
export class TeardownError extends Error {
  readonly step: string;
  readonly resource: string;

  constructor(step: string, resource: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`teardown step '${step}' failed for ${resource}: ${reason}`, { cause });
    this.step = step;
    this.resource = resource;
    this.name = "TeardownError";
  }
}
