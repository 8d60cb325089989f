import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { reachableAddresses } from "../../cli/src/commands/up.ts";
import { hasStackTrace, runCli, startCli, useCliCleanup } from "../helpers/cli.ts";

/** A raw GET with a chosen Host and Origin (fetch would not let a test set Host). */
function get(endpoint: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { headers }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("CLI: up --host beyond loopback", () => {
  useCliCleanup();

  it("warns with the real addresses, keeps the Host and browser checks, and lets --cors-origin pages in", async () => {
    const up = startCli([
      "--json",
      "up",
      "--bare",
      "--port",
      "0",
      "--host",
      "0.0.0.0",
      "--cors-origin",
      "http://localhost:3000",
    ]);
    const ready = await up.waitForJson((line) => line.event === "ready");
    const endpoint = String(ready.endpoint);
    const port = new URL(endpoint).port;
    await up.waitForStderr("reachable from other machines");
    for (const address of reachableAddresses("0.0.0.0"))
      expect(up.stderr).toContain(`http://${address}:${port}`);

    expect((await get(endpoint, "/_localstack/health", { host: "rebind.example" })).status).toBe(421);
    expect(
      (
        await get(endpoint, "/_localstack/health", {
          host: `127.0.0.1:${port}`,
          origin: "http://evil.example",
        })
      ).status,
    ).toBe(403);
    const allowed = await get(endpoint, "/_localstack/health", {
      host: `127.0.0.1:${port}`,
      origin: "http://localhost:3000",
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect((await up.stop("SIGINT")).code).toBe(0);
  });

  it("answers to --allowed-host names, still refuses others, and rejects a malformed name in one line", async () => {
    const up = startCli(["--json", "up", "--bare", "--port", "0", "--allowed-host", "Engine"]);
    const ready = await up.waitForJson((line) => line.event === "ready");
    const endpoint = String(ready.endpoint);
    const port = new URL(endpoint).port;
    expect((await get(endpoint, "/_localstack/health", { host: `engine:${port}` })).status).toBe(200);
    expect((await get(endpoint, "/_localstack/health", { host: `other:${port}` })).status).toBe(421);
    expect((await up.stop("SIGINT")).code).toBe(0);

    const bad = await runCli(["up", "--bare", "--port", "0", "--allowed-host", "http://engine:4566"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("invalid --allowed-host http://engine:4566");
    expect(hasStackTrace(bad.stderr)).toBe(false);
  });
});
