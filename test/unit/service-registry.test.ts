import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  internalFailure,
  parserRefusal,
  protocolError,
  RefusedHeadScan,
  routeRequest,
  throttled,
} from "../../src/engine/edge-protocol.ts";
import { engineServices } from "../../src/engine/registry.ts";
import { repairStore } from "../../src/engine/repair.ts";
import { isStateChangingGet } from "../../src/engine/request-guard.ts";
import { ServiceRegistry } from "../../src/engine/service/registry.ts";
import { operationOfHead, type ServiceSection } from "../../src/engine/service/section.ts";
import { journalPath } from "../../src/engine/store/index.ts";
import { encodeLine, readJournal } from "../../src/engine/store/journal.ts";
import type { RequestHead } from "../../src/engine/types.ts";

/**
 * A made-up service, declared only by its service-level section: JSON 1.1 with the target prefix `Widgets_2024`.
 * Registering it is all it takes for the edge's routing, body limits, GET guard and error rendering to serve it.
 */
const widgets: ServiceSection = {
  signingName: "widgets",
  protocols: {
    json: { version: "1.1", targetPrefixes: ["Widgets_2024"], errorPrefix: "com.example.widgets" },
  },
  bodyLimit: (_head, operation) => ({
    bytes: operation === "UploadWidgetImage" ? 4096 : 1024,
    status: 413,
    code: "WidgetTooLargeException",
    message: `Request must be smaller than ${operation === "UploadWidgetImage" ? 4096 : 1024} bytes`,
  }),
  readOnlyOperations: /^(Get|List|Describe)[A-Z]/,
  throttling: { status: 400, code: "WidgetThrottlingException" },
  internalErrorCode: "WidgetServiceFault",
};

const head = (headers: Record<string, string>, method = "POST", rawPath = "/"): RequestHead => ({
  method,
  rawPath,
  query: new URLSearchParams(),
  headers,
  host: "127.0.0.1:4566",
});
const target = (operation: string) => ({
  "x-amz-target": `Widgets_2024.${operation}`,
  "content-type": "application/x-amz-json-1.1",
});

describe("ServiceRegistry: a made-up service is served by its declaration alone", () => {
  const registry = engineServices.with(widgets);

  it("routes it by its target prefix, unsigned or signed, and by its signing name", () => {
    // Act
    const unsigned = routeRequest(registry, head(target("CreateWidget")), undefined);
    const signed = routeRequest(registry, head({}), "widgets");

    // Assess
    expect(unsigned).toEqual({ name: "widgets", section: widgets, protocol: "json" });
    expect(signed.section).toBe(widgets);
    expect(routeRequest(engineServices, head(target("CreateWidget")), undefined).section?.signingName).toBe(
      "s3",
    );
  });

  it("limits its bodies per operation, as its section says", () => {
    // Arrange
    const create = head(target("CreateWidget"));
    const upload = head(target("UploadWidgetImage"));

    // Act
    const limits = [create, upload].map((request) => widgets.bodyLimit(request, operationOfHead(request)));

    // Assess
    expect(limits).toMatchObject([{ bytes: 1024 }, { bytes: 4096, code: "WidgetTooLargeException" }]);
  });

  it("refuses its state-changing operations as a GET, and lets its reads through", () => {
    expect(isStateChangingGet("GET", widgets, "DeleteWidget")).toBe(true);
    expect(isStateChangingGet("HEAD", widgets, "CreateWidget")).toBe(true);
    expect(isStateChangingGet("GET", widgets, "GetWidget")).toBe(false);
    expect(isStateChangingGet("POST", widgets, "DeleteWidget")).toBe(false);
  });

  it("renders its refusals, throttling and failures in its protocol, with its own codes", () => {
    // Arrange
    const route = routeRequest(registry, head(target("CreateWidget")), undefined);

    // Act
    const refused = protocolError(route, 413, "WidgetTooLargeException", "too big", "r-1");
    const busy = throttled(route, "r-2");
    const failed = internalFailure(route, "r-3");
    const refusedHead = new RefusedHeadScan();
    refusedHead.feed(Buffer.from("XYZ / HTTP/1.1\r\nX-Amz-Target: Widgets_2024.GetWidget\r\n"));
    const garbled = parserRefusal(
      registry,
      Object.assign(new Error("bad"), { code: "HPE_INVALID_METHOD" }),
      refusedHead.names,
    ).toString();

    // Assess
    expect(refused.status).toBe(413);
    expect(JSON.parse(String(refused.body))).toMatchObject({
      __type: "com.example.widgets#WidgetTooLargeException",
    });
    // A JSON 1.1 service's refusals say so, as its answers do.
    expect(refused.headers?.["content-type"]).toBe("application/x-amz-json-1.1");
    expect([busy.status, JSON.parse(String(busy.body)).__type]).toEqual([
      400,
      "com.example.widgets#WidgetThrottlingException",
    ]);
    expect([failed.status, JSON.parse(String(failed.body)).__type]).toEqual([
      500,
      "com.example.widgets#WidgetServiceFault",
    ]);
    expect(garbled).toContain('"__type":"com.example.widgets#BadRequest"');
  });
});

describe("ServiceRegistry: what it refuses to hold", () => {
  it("refuses two services with one target prefix, or two fallbacks", () => {
    expect(() =>
      engineServices.with({
        ...widgets,
        protocols: { json: { version: "1.0", targetPrefixes: ["AmazonSQS"], errorPrefix: "x" } },
      }),
    ).toThrow("target prefix AmazonSQS is declared by sqs and widgets");
    expect(() => engineServices.with({ ...widgets, fallback: true })).toThrow("both s3 and widgets");
    expect(() => new ServiceRegistry([widgets])).toThrow("no service is declared the fallback");
  });
});

describe("ServiceRegistry: a made-up service's stored state is repaired by its section alone", () => {
  it("keeps what reads and what its own check keeps, moves the damaged journal aside, and names each loss", async () => {
    // Prepare: a widgets journal of three records, the second damaged, the third naming a file that is gone.
    const dataDir = await mkdtemp(join(tmpdir(), "registry-repair-"));
    try {
      const storedWidgets: ServiceSection = {
        ...widgets,
        storage: {
          directory: "widgets",
          journal: {
            keepIntact: async (_dataDir, records) => {
              const kept = records.filter((record) => !(record as { fileGone?: boolean }).fileGone);
              const lost = records.length - kept.length;
              return { records: kept, lost: lost > 0 ? [`${lost} widget(s): their image file is gone`] : [] };
            },
          },
        },
      };
      const path = journalPath(dataDir, "widgets");
      await mkdir(join(dataDir, "widgets"), { recursive: true });
      const damaged = encodeLine({ id: 2 }).replace('"id":2', '"id":7');
      const original = encodeLine({ id: 1 }) + damaged + encodeLine({ id: 3, fileGone: true });
      await writeFile(path, original);
      // Act
      const report = await repairStore(dataDir, engineServices.with(storedWidgets));
      // Assess
      expect(report.entries).toEqual([
        {
          file: path,
          status: "repaired",
          recovered: 1,
          lost: [
            expect.stringMatching(/^\d+ byte\(s\) at byte \d+: a damaged record that could not be read$/),
            "1 widget(s): their image file is gone",
          ],
        },
      ]);
      expect(await readFile(join(report.keptIn as string, "widgets", "journal.log"), "utf8")).toBe(original);
      expect((await readJournal(path)).records).toEqual([{ id: 1 }]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
