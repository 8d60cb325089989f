import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_HEADER, CONTROL_PREFIX } from "../../src/engine/control.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";

// The control API is the engine's own: this engine has no plugins, so no dashboard either.
describe("Engine control API: /_pipeline/control", () => {
  let engine: Engine;
  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${engine.endpoint}${CONTROL_PREFIX}${path}`, { method, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it("lists failed events (none yet) without a dashboard mounted", async () => {
    expect(await call("GET", "/failed-events")).toEqual({ status: 200, body: { events: [] } });
  });

  it("answers 404 for an unknown id, 403 without the control header, 405 for the wrong method, 400 for a malformed id", async () => {
    expect(await call("POST", "/failed-events/no-such-id/redrive", { [CONTROL_HEADER]: "1" })).toEqual({
      status: 404,
      body: { error: "no failed event no-such-id" },
    });
    expect(await call("POST", "/failed-events/no-such-id/redrive")).toEqual({
      status: 403,
      body: { error: `POST requests need the ${CONTROL_HEADER}: 1 header` },
    });
    expect((await call("GET", "/failed-events/x/redrive")).status).toBe(405);
    expect((await call("POST", "/failed-events", { [CONTROL_HEADER]: "1" })).status).toBe(405);
    expect(await call("POST", "/failed-events/%E0%A4%A/redrive", { [CONTROL_HEADER]: "1" })).toEqual({
      status: 400,
      body: { error: `malformed id in ${CONTROL_PREFIX}/failed-events/%E0%A4%A/redrive` },
    });
    expect(await call("GET", "/nothing")).toEqual({
      status: 404,
      body: { error: `GET ${CONTROL_PREFIX}/nothing is not a control route` },
    });
  });
});
