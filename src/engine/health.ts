import type { Edge } from "./edge.ts";
import type { ServiceResponse } from "./types.ts";
import { ENGINE_NAME, ENGINE_VERSION } from "./version.ts";

/** State of LocalStack-style init hooks; the embedded engine has one stage that `up` completes by provisioning. */
export class InitState {
  #completed = false;
  readonly #startedAt = Date.now();
  complete(): void {
    this.#completed = true;
  }
  get completed(): boolean {
    return this.#completed;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
}

const json = (body: unknown): ServiceResponse => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Registers LocalStack's `/_localstack/*` conventions so scripts written for LocalStack work unchanged. */
export function registerHealthRoutes(
  edge: Edge,
  init: InitState,
  extraInfo: () => Record<string, unknown>,
): void {
  edge.addInternalRoute("/_localstack/health", async () =>
    json({
      services: Object.fromEntries(edge.services.map((name) => [name, "running"])),
      edition: "embedded",
      version: ENGINE_VERSION,
    }),
  );
  edge.addInternalRoute("/_localstack/init", async (_request, url) => {
    const stage = { completed: init.completed, scripts: [] as unknown[] };
    if (url.pathname.replace(/\/$/, "") === "/_localstack/init/ready") return json(stage);
    return json({
      completed: { BOOT: true, START: true, READY: init.completed, SHUTDOWN: false },
      scripts: [],
    });
  });
  edge.addInternalRoute("/_localstack/info", async () =>
    json({
      version: ENGINE_VERSION,
      edition: "embedded",
      engine: ENGINE_NAME,
      is_embedded: true,
      lambda_runtime: `node ${process.version}`,
      uptime_seconds: Math.round((Date.now() - init.startedAt) / 1000),
      ...extraInfo(),
    }),
  );
}
