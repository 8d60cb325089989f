import { describe, expect, it } from "vitest";
import { parseArchitectures } from "../../src/engine/lambda/function-settings.ts";
import type { FunctionRecord } from "../../src/engine/lambda/functions.ts";
import {
  checkAliasName,
  chooseVersion,
  effectiveQualifier,
  parseRouting,
  qualifierKind,
} from "../../src/engine/lambda/qualifier.ts";
import { architectureNotice, hostArchitecture } from "../../src/engine/lambda/runtimes.ts";
import {
  aliasesOf,
  exceedsVersionCodeStorage,
  latestFingerprint,
  maxVersionCodeBytes,
  renderAlias,
  versionToPublish,
} from "../../src/engine/lambda/versions.ts";
import { lambdaDeclaration } from "../helpers/lambda-declaration.ts";

/** A function record with its code unpacked and Active, as the store keeps one. */
function record(overrides: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    name: "ingest",
    arn: "arn:aws:lambda:us-east-1:000000000000:function:ingest",
    runtime: "nodejs22.x",
    role: "arn:aws:iam::000000000000:role/r",
    handler: "index.handler",
    description: "",
    timeout: 3,
    memorySize: 128,
    environment: { B: "2", A: "1" },
    architecture: "arm64",
    ephemeralStorage: 1024,
    tracingMode: "Active",
    code: { zip: Buffer.from("zip"), sha256: "c2hh", size: 3, directory: "/code/ingest-sha" },
    lastModified: "2026-01-01T00:00:00.000+0000",
    revisionId: "r1",
    state: "Active",
    lastUpdateStatus: "Successful",
    policy: [],
    deployment: {
      id: "r1",
      functionName: "ingest",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:ingest",
      runtime: "nodejs22.x",
      handler: "index.handler",
      codeDirectory: "/code/ingest-sha",
      codeSha256: "c2hh",
      timeoutSeconds: 3,
      memorySizeMb: 128,
      roleArn: "arn:aws:iam::000000000000:role/r",
      environment: { A: "1", B: "2" },
    },
    versions: [],
    nextVersion: 1,
    aliases: [],
    ...overrides,
  };
}

describe("Versions: a version is an immutable snapshot of $LATEST", () => {
  it("snapshots code and settings, numbered nextVersion, with its own deployment", () => {
    // Arrange
    const fn = record({ tags: { team: "a" } });

    // Act
    const { version, created } = versionToPublish(fn, "first", "now");

    // Assess
    expect(created).toBe(true);
    expect(version).toMatchObject({
      version: "1",
      description: "first",
      architecture: "arm64",
      ephemeralStorage: 1024,
      tracingMode: "Active",
      lastModified: "now",
    });
    expect(version).not.toHaveProperty("tags");
    expect(version.deployment).toMatchObject({
      qualifier: "1",
      functionArn: `${fn.arn}:1`,
      codeDirectory: "/code/ingest-sha",
    });
    expect(version.deployment?.id).not.toBe(fn.deployment?.id);
  });

  it("does not change when $LATEST changes afterwards", () => {
    // Arrange
    const fn = record();
    const { version } = versionToPublish(fn, undefined, "now");

    // Act
    fn.environment.A = "changed";
    fn.timeout = 30;

    // Assess
    expect(version.environment).toEqual({ A: "1", B: "2" });
    expect(version.timeout).toBe(3);
  });

  it("answers the last version again when code and configuration have not changed, a new one when they have", () => {
    // Arrange
    const fn = record();
    const first = versionToPublish(fn, undefined, "now").version;
    fn.versions.push(first);
    fn.nextVersion = 2;

    // Act
    const again = versionToPublish(fn, "another description", "later");
    fn.memorySize = 256;
    const changed = versionToPublish(fn, undefined, "later");

    // Assess
    expect(again).toEqual({ version: first, created: false });
    expect(changed.created).toBe(true);
    expect(changed.version.version).toBe("2");
  });

  it("publishes anew when the last version was deleted, even with nothing changed", () => {
    // Arrange
    const fn = record({ nextVersion: 2 });

    // Act
    const result = versionToPublish(fn, undefined, "now");

    // Assess
    expect(result.created).toBe(true);
    expect(result.version.version).toBe("2");
  });

  it("fingerprints environment variables whatever their order", () => {
    expect(latestFingerprint(record({ environment: { A: "1", B: "2" } }))).toBe(
      latestFingerprint(record({ environment: { B: "2", A: "1" } })),
    );
    expect(latestFingerprint(record({ tracingMode: "PassThrough" }))).not.toBe(latestFingerprint(record()));
  });
});

describe("Versions: the code they keep is bounded", () => {
  it("counts each distinct code once and refuses new code past the bound", () => {
    // Arrange
    const big = (directory: string, size: number) => ({
      zip: Buffer.alloc(0),
      sha256: directory,
      size,
      directory,
    });
    const published = record({ name: "a", code: big("/a-1", maxVersionCodeBytes - 10) });
    published.versions.push(versionToPublish(published, undefined, "now").version);
    const small = record({ name: "b", code: big("/b-1", 10) });
    const large = record({ name: "c", code: big("/c-1", 11) });

    // Act / Assess
    expect(exceedsVersionCodeStorage(small, [published, small])).toBe(false);
    expect(exceedsVersionCodeStorage(large, [published, large])).toBe(true);
    // Code a version already keeps costs nothing more.
    expect(exceedsVersionCodeStorage(published, [published])).toBe(false);
  });
});

describe("Qualifiers and ARNs", () => {
  it.each([
    ["$LATEST", "latest"],
    ["3", "version"],
    ["live", "alias"],
    ["blue-green_2", "alias"],
    ["a:b", undefined],
    ["", undefined],
  ])("%j is a %s", (qualifier, kind) => {
    expect(qualifierKind(qualifier)).toBe(kind);
  });

  it("takes the qualifier from the name or the parameter, and refuses two that differ", () => {
    expect(effectiveQualifier("3", undefined)).toBe("3");
    expect(effectiveQualifier(undefined, "live")).toBe("live");
    expect(effectiveQualifier("3", "3")).toBe("3");
    expect(effectiveQualifier(undefined, "")).toBeUndefined();
    expect(() => effectiveQualifier("3", "4")).toThrow(
      "The derived qualifier from the function name does not match the specified qualifier.",
    );
  });

  it("refuses an alias name that is a number or has other characters", () => {
    expect(checkAliasName("live")).toBe("live");
    expect(() => checkAliasName("12")).toThrow("at 'name' failed to satisfy constraint");
    expect(() => checkAliasName("a.b")).toThrow("at 'name' failed to satisfy constraint");
  });
});

describe("Alias routing", () => {
  it("routes the weighted share to the additional version, by the injected random number", () => {
    const routing = { version: "2", weight: 0.25 };
    expect(chooseVersion("1", routing, () => 0.1)).toBe("2");
    expect(chooseVersion("1", routing, () => 0.25)).toBe("1");
    expect(chooseVersion("1", routing, () => 0.9)).toBe("1");
    expect(chooseVersion("1", undefined, () => 0)).toBe("1");
    expect(chooseVersion("1", { version: "2", weight: 0 }, () => 0)).toBe("1");
    expect(chooseVersion("1", { version: "2", weight: 1 }, () => 0.999)).toBe("2");
  });

  it("parses one additional version with a weight in [0, 1]", () => {
    expect(parseRouting({ AdditionalVersionWeights: { "2": 0.5 } }, "1")).toEqual({
      version: "2",
      weight: 0.5,
    });
    expect(parseRouting({ AdditionalVersionWeights: {} }, "1")).toBeUndefined();
    expect(parseRouting({}, "1")).toBeUndefined();
    expect(parseRouting(undefined, "1")).toBeUndefined();
  });

  it.each([
    [{ "2": 0.1, "3": 0.1 }, "1", "Number of items in AdditionalVersionWeights cannot be greater than 1"],
    [{ "2": -0.1 }, "1", "Member must have value greater than or equal to 0.0"],
    [{ "2": 1.01 }, "1", "Member must have value less than or equal to 1.0"],
    [{ "1": 0.5 }, "1", "Function version 1 is already included in routing configuration."],
    [{ "2": 0.5 }, "$LATEST", "$LATEST is not supported for an alias pointing to more than 1 version"],
    [{ live: 0.5 }, "1", "Member must satisfy regular expression pattern: [0-9]+"],
  ])("refuses %j on %s", (weights, primary, message) => {
    expect(() => parseRouting({ AdditionalVersionWeights: weights }, primary)).toThrow(message);
  });

  it("renders an alias with its ARN and routing, and finds the aliases of a version", () => {
    const fn = record({
      aliases: [
        {
          name: "live",
          functionVersion: "1",
          description: "",
          routing: { version: "2", weight: 0.3 },
          revisionId: "a",
        },
        { name: "next", functionVersion: "2", description: "", revisionId: "b" },
      ],
    });
    expect(renderAlias(fn, fn.aliases[0] as FunctionRecord["aliases"][number])).toEqual({
      AliasArn: `${fn.arn}:live`,
      Name: "live",
      FunctionVersion: "1",
      Description: "",
      RoutingConfig: { AdditionalVersionWeights: { "2": 0.3 } },
      RevisionId: "a",
    });
    expect(aliasesOf(fn, "2")).toEqual(["live", "next"]);
    expect(aliasesOf(fn, "3")).toEqual([]);
  });
});

describe("Settings Lambda keeps", () => {
  it("takes one architecture of x86_64 and arm64", () => {
    expect(parseArchitectures(["arm64"])).toBe("arm64");
    expect(() => parseArchitectures([])).toThrow("Member must have length less than or equal to 1");
    expect(() => parseArchitectures(["arm64", "arm64"])).toThrow(
      "Member must have length less than or equal to 1",
    );
    expect(() => parseArchitectures(["ppc"])).toThrow("Member must satisfy enum value set: [x86_64, arm64]");
  });

  it("names the host's architecture as Lambda does", () => {
    expect(hostArchitecture("x64")).toBe("x86_64");
    expect(hostArchitecture("arm64")).toBe("arm64");
    expect(architectureNotice("arm64")).toBe(
      "functions run on this host's architecture (arm64); a function's Architectures is kept and reported, not emulated",
    );
  });
});

describe("Members: what an operation does not handle is refused by name", () => {
  const create = (body: Record<string, unknown>) =>
    lambdaDeclaration().send("POST", "/2015-03-31/functions", { body: { FunctionName: "f", ...body } });
  const refused = (operation: string, member: string) => ({
    status: 400,
    type: "InvalidParameterValueException",
    message: `${operation}: the embedded Lambda engine does not support ${member}; remove it from the request.`,
  });
  // A request whose members pass reaches authorization, which denies everything here.
  const passed = expect.objectContaining({ status: 403, type: "AccessDeniedException" });

  it("refuses an unhandled body member, query parameter or header, naming it", async () => {
    const { send } = lambdaDeclaration();
    expect(await create({ KMSKeyArn: "k" })).toEqual(refused("CreateFunction", "KMSKeyArn"));
    expect(await send("GET", "/2015-03-31/functions?MasterRegion=ALL")).toEqual(
      refused("ListFunctions", "MasterRegion"),
    );
    expect(
      await send("POST", "/2015-03-31/functions/ingest/invocations", { headers: { "x-amz-tenant-id": "t" } }),
    ).toEqual(refused("Invoke", "TenantId"));
  });

  it("does not take SigV4 query authentication for members, and reads UntagResource's tagKeys as TagKeys", async () => {
    const { send } = lambdaDeclaration();
    const signed = "X-Amz-Credential=test%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Signature=0";
    expect(await send("POST", `/2015-03-31/functions?${signed}`, { body: { FunctionName: "f" } })).toEqual(
      passed,
    );
    const tags = `/2017-03-31/tags/${encodeURIComponent("arn:aws:lambda:us-east-1:000000000000:function:ingest")}`;
    expect(await send("DELETE", `${tags}?tagKeys=a&tagKeys=b`)).toEqual(passed);
  });

  it("accepts handled members and the values that mean the default", async () => {
    expect(
      await create({
        Layers: [],
        VpcConfig: { SubnetIds: [], SecurityGroupIds: [] },
        SnapStart: { ApplyOn: "None" },
        FileSystemConfigs: [],
        KMSKeyArn: "",
        LoggingConfig: { LogFormat: "Text" },
      }),
    ).toEqual(passed);
    expect(await create({ LoggingConfig: { LogFormat: "JSON" } })).toEqual(
      refused("CreateFunction", "LoggingConfig"),
    );
    expect(await lambdaDeclaration().send("GET", "/2015-03-31/functions/ingest?Qualifier=1")).toEqual(
      expect.objectContaining({ status: 404, type: "ResourceNotFoundException" }),
    );
    expect(await create({ VpcConfig: { SubnetIds: ["subnet-1"] } })).toEqual(
      refused("CreateFunction", "VpcConfig"),
    );
  });
});
