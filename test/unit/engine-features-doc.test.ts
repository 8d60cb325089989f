import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withFeatureTable } from "../../scripts/engine-features.ts";
import { renderFeatureTable, servedServices } from "../../scripts/lib/served-members.ts";

describe("docs/engine.md: the table of served operations and refused members", () => {
  it("is what the engine's declarations and the SDK's input types say today (npx tsx scripts/engine-features.ts --write)", () => {
    const doc = readFileSync("docs/engine.md", "utf8");
    expect(withFeatureTable(doc, renderFeatureTable(servedServices()))).toBe(doc);
  });

  it("lists every service the engine serves, each with operations", () => {
    const services = servedServices();
    expect(services.map(({ service }) => service)).toHaveLength(7);
    for (const { service, operations } of services) expect(operations.length, service).toBeGreaterThan(0);
  });
});
