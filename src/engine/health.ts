import { randomUUID } from "node:crypto";
import type { Edge } from "./edge.ts";
import { INIT_STAGES, type InitStage, type InitState } from "./init-hooks.ts";
import type { EngineCompat } from "./like-localstack.ts";
import type { ServiceResponse } from "./types.ts";
import { ENGINE_NAME, ENGINE_VERSION } from "./version.ts";

const sessionId = randomUUID();

const json = (body: unknown): ServiceResponse => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Registers LocalStack's `/_localstack/*` conventions so scripts written for LocalStack work unchanged. */
export function registerHealthRoutes(
  edge: Edge,
  init: InitState,
  compat: EngineCompat,
  extraInfo: () => Record<string, unknown>,
): void {
  const version = compat.engineRoutes ? ENGINE_VERSION : compat.version;
  edge.addInternalRoute("/_localstack/health", async () =>
    json({
      services: Object.fromEntries(edge.services.map((name) => [name, "running"])),
      edition: compat.edition,
      version,
    }),
  );
  // LocalStack's shapes (`InitScriptsResource`, `InitScriptsStageResource`): per stage `completed`, per script state.
  edge.addInternalRoute("/_localstack/init", async (_request, url) => {
    const stage = url.pathname.replace(/\/$/, "").slice("/_localstack/init".length).replace(/^\//, "");
    if (!stage) return json(init.view());
    const name = stage.toUpperCase() as InitStage;
    if (!INIT_STAGES.includes(name)) {
      return { status: 404, headers: { "content-type": "text/plain" }, body: `no such stage ${stage}` };
    }
    return json(init.stage(name));
  });
  // LocalStack's `InfoResource` fields only: a client must not find the engine's own (runtimes, backend) there.
  if (!compat.engineRoutes) {
    edge.addInternalRoute("/_localstack/info", async () =>
      json({
        version,
        edition: compat.edition,
        is_license_activated: false,
        session_id: sessionId,
        machine_id: "gen_embedded",
        system: process.platform,
        is_docker: false,
        server_time_utc: new Date().toISOString().slice(0, 19),
        uptime: Math.round((Date.now() - init.startedAt) / 1000),
      }),
    );
    return;
  }
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
