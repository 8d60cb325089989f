import { createServer } from "node:net";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { dashboardPlugin } from "../../src/dashboard/index.ts";
import {
  type EnginePlugin,
  type EnginePluginHost,
  EngineStartError,
  startEngine,
} from "../../src/engine/index.ts";

/** A plugin that mounts `/_probe` and writes what happens to it into `journal`. */
function probePlugin(name: string, journal: string[]): EnginePlugin {
  return {
    name,
    start: ({ edge, context }) => {
      journal.push(`${name} start`);
      edge.addInternalRoute(`/_probe/${name}`, async () => ({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: `${name} in ${context.region}`,
      }));
      return { stop: () => void journal.push(`${name} stop`) };
    },
  };
}

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once("error", () => resolve(false))
      .listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

describe("Engine plugins: composed by the host, the engine imports none", () => {
  it("starts plugins in order, serves their routes, and stops them in reverse before the edge closes", async () => {
    // Prepare
    const journal: string[] = [];

    // Act
    const engine = await startEngine({
      port: 0,
      plugins: [probePlugin("first", journal), probePlugin("second", journal)],
    });
    const answer = await (await fetch(`${engine.endpoint}/_probe/second`)).text();
    await engine.stop();

    // Assess
    expect(answer).toBe("second in us-east-1");
    expect(journal).toEqual(["first start", "second start", "second stop", "first stop"]);
  });

  it("hands a plugin every service's typed API, S3's read API included", async () => {
    // Arrange: a plugin that keeps what the host gives it.
    let apis: EnginePluginHost["apis"] | undefined;
    const engine = await startEngine({
      port: 0,
      plugins: [
        {
          name: "reader",
          start: (host) => {
            apis = host.apis;
          },
        },
      ],
    });
    try {
      const s3 = new S3Client({
        endpoint: engine.endpoint,
        region: "us-east-1",
        credentials: EMULATOR_CREDENTIALS,
        forcePathStyle: true,
      });
      await s3.send(new CreateBucketCommand({ Bucket: "read-api" }));
      await s3.send(new PutObjectCommand({ Bucket: "read-api", Key: "a.txt", Body: "hello" }));
      s3.destroy();

      // Act
      const head = apis?.s3.headObject("read-api", "a.txt");
      const body = await apis?.s3.readObject("read-api", "a.txt");

      // Assess
      expect(Object.keys(apis ?? {}).sort()).toEqual(["iam", "lambda", "logs", "s3", "sqs"]);
      expect(head).toMatchObject({ bucket: "read-api", key: "a.txt", size: 5 });
      expect(body?.toString()).toBe("hello");
      expect(apis?.s3.listBuckets().map((bucket) => bucket.name)).toContain("read-api");
    } finally {
      await engine.stop();
    }
  });

  it("serves no dashboard unless a plugin mounts it", async () => {
    // Prepare
    const bare = await startEngine({ port: 0 });
    const withDashboard = await startEngine({ port: 0, plugins: [dashboardPlugin()] });

    // Act
    const without = await fetch(`${bare.endpoint}/_pipeline/api/flow`);
    const served = await fetch(`${withDashboard.endpoint}/_pipeline/api/flow`);
    await Promise.all([bare.stop(), withDashboard.stop()]);

    // Assess
    expect(without.ok).toBe(false);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ rows: [] });
  });

  it("fails to start with one line naming a plugin that throws, and stops the plugins already started", async () => {
    // Prepare
    const journal: string[] = [];
    const broken: EnginePlugin = {
      name: "broken",
      start: () => {
        throw new Error("no config");
      },
    };
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });

    // Act
    const started = startEngine({ port, plugins: [probePlugin("first", journal), broken] });

    // Assess
    await expect(started).rejects.toThrow(EngineStartError);
    await expect(started).rejects.toThrow("engine could not start: plugin broken failed to start: no config");
    expect(journal).toEqual(["first start", "first stop"]);
    expect(await portIsFree(port)).toBe(true);
  });
});
