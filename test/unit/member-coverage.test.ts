import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  dynaliteDeclaredMembers,
  lambdaDeclaredMembers,
  logsDeclaredMembers,
  s3DeclaredOperations,
  sdkInputMembers,
  sdkInputNames,
  shapeMembers,
  sqsDeclaredMembers,
} from "../../scripts/lib/served-members.ts";
import { iamOperations } from "../../src/engine/iam/actions.ts";
import { IamStore } from "../../src/engine/iam/store.ts";
import { LambdaApi } from "../../src/engine/lambda/api.ts";
import { LogsApi, type LogsApiDependencies } from "../../src/engine/logs/api.ts";
import { type SqsOperationContext, sqsOperations } from "../../src/engine/sqs/operations.ts";
import { assumeRoleInput } from "../../src/engine/sts/index.ts";

/**
 * Every input member of every served operation is handled or refused, read from the AWS SDK's own input types
 * (`@aws-sdk/client-*`'s `<Operation>Request` interfaces, through the TypeScript compiler API). The engine refuses
 * any member an operation does not declare; this test also fails when an SDK release adds a member that is
 * neither declared nor listed below as knowingly refused, so a new parameter shows up here, not in a user's run.
 *
 * Covered: IAM, STS, CloudWatch Logs, SQS, Lambda and S3, whose operations declare their members, and DynamoDB on
 * dynalite, whose members are dynalite's own validation tables (dynamodb/members.ts).
 */

/** What each operation knowingly refuses (answered 400 naming the member), by service and operation. */
const knowinglyRefused: Record<string, Record<string, readonly string[]>> = {
  IAM: {
    ListPolicies: ["PolicyUsageFilter"],
  },
  STS: {
    AssumeRole: [
      "PolicyArns",
      "Policy",
      "Tags",
      "TransitiveTagKeys",
      "ExternalId",
      "SerialNumber",
      "TokenCode",
      "SourceIdentity",
      "ProvidedContexts",
      "MinimumSessionTokenSize",
    ],
  },
  SQS: {
    // AWSTraceHeader (X-Ray) is not served (docs/engine.md).
    SendMessage: ["MessageSystemAttributes"],
    // FIFO receive deduplication is not emulated: a retried receive would not get the same messages.
    ReceiveMessage: ["ReceiveRequestAttemptId"],
    // The engine answers every source queue at once.
    ListDeadLetterSourceQueues: ["NextToken", "MaxResults"],
  },
  Logs: {
    CreateLogGroup: ["kmsKeyId", "logGroupClass", "deletionProtectionEnabled"],
    DescribeLogGroups: [
      "accountIdentifiers",
      "includeLinkedAccounts",
      "logGroupClass",
      "logGroupIdentifiers",
    ],
    PutLogEvents: ["entity"],
  },
  // Each refused with 400 InvalidParameterValueException naming the member (lambda/members.ts's
  // unsupportedMember, for what the operation's schema does not declare), except
  // where its value means the default (no layers, no VPC, SnapStart None).
  Lambda: {
    CreateFunction: [
      "PublishTo",
      "VpcConfig",
      "KMSKeyArn",
      "Layers",
      "FileSystemConfigs",
      "CodeSigningConfigArn",
      "ImageConfig",
      "SnapStart",
      "LoggingConfig",
      "TenancyConfig",
      "CapacityProviderConfig",
      "DurableConfig",
    ],
    ListFunctions: ["MasterRegion", "FunctionVersion"],
    UpdateFunctionConfiguration: [
      "VpcConfig",
      "KMSKeyArn",
      "Layers",
      "FileSystemConfigs",
      "ImageConfig",
      "SnapStart",
      "LoggingConfig",
      "CapacityProviderConfig",
      "DurableConfig",
    ],
    UpdateFunctionCode: [
      "S3Bucket",
      "S3Key",
      "S3ObjectVersion",
      "S3ObjectStorageMode",
      "ImageUri",
      "PublishTo",
      "SourceKMSKeyArn",
    ],
    Invoke: ["DurableExecutionName", "TenantId"],
    AddPermission: ["FunctionUrlAuthType", "InvokedViaFunctionUrl"],
    PublishVersion: ["PublishTo"],
  },
  // dynalite ignores these; DeletionProtectionEnabled, TableClass, StreamSpecification and SSESpecification are
  // handled when they ask for AWS's default (members.ts) and refused otherwise.
  DynamoDB: {
    CreateTable: [
      "StreamSpecification",
      "SSESpecification",
      "TableClass",
      "DeletionProtectionEnabled",
      "WarmThroughput",
      "ResourcePolicy",
      "OnDemandThroughput",
      "GlobalTableSourceArn",
      "GlobalTableSettingsReplicationMode",
      "VectorIndexes",
    ],
    ListTagsOfResource: ["NextToken"],
    UpdateTable: [
      "AttributeDefinitions",
      "StreamSpecification",
      "SSESpecification",
      "ReplicaUpdates",
      "TableClass",
      "DeletionProtectionEnabled",
      "MultiRegionConsistency",
      "GlobalTableWitnessUpdates",
      "OnDemandThroughput",
      "WarmThroughput",
      "GlobalTableSettingsReplicationMode",
      "DisassociationProtectionEnabled",
      "VectorIndexUpdates",
    ],
  },
};

interface Coverage {
  operations: number;
  handled: number;
  refused: number;
  unaccounted: string[];
  unknown: string[];
}

function coverage(
  service: string,
  declared: Record<string, readonly string[]>,
  sdk: Map<string, string[]>,
  refusedByOperation: Record<string, readonly string[]> = knowinglyRefused[service] ?? {},
): Coverage {
  const result: Coverage = { operations: 0, handled: 0, refused: 0, unaccounted: [], unknown: [] };
  for (const [operation, members] of Object.entries(declared)) {
    const sdkMembers = sdk.get(sdkInputNames[operation] ?? operation);
    if (sdkMembers === undefined) {
      result.unknown.push(`${operation} (no ${operation}Request in the SDK)`);
      continue;
    }
    result.operations++;
    const refused = refusedByOperation[operation] ?? [];
    for (const member of sdkMembers) {
      if (members.includes(member)) result.handled++;
      else if (refused.includes(member)) result.refused++;
      else result.unaccounted.push(`${operation}.${member}`);
    }
    // A declared member the SDK does not have is a misspelling: the real one would be refused.
    for (const member of members)
      if (!sdkMembers.includes(member)) result.unknown.push(`${operation}.${member}`);
  }
  return result;
}

describe("Member coverage: every SDK input member of a served operation is handled or refused", () => {
  it("IAM: every operation declares its members, and each SDK member is handled or knowingly refused", () => {
    const declared: Record<string, readonly string[]> = {};
    for (const operation of iamOperations(new IamStore("000000000000"), "000000000000")) {
      const members = shapeMembers(operation.input);
      expect(members, `${operation.name} declares its members`).toBeDefined();
      declared[operation.name] = members ?? [];
    }
    const result = coverage("IAM", declared, sdkInputMembers("client-iam"));
    console.log(
      `IAM: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("STS: AssumeRole's members are handled or knowingly refused (GetCallerIdentity takes none)", () => {
    const sdk = sdkInputMembers("client-sts");
    expect(sdk.get("GetCallerIdentity")).toEqual([]);
    const result = coverage("STS", { AssumeRole: shapeMembers(assumeRoleInput) ?? [] }, sdk);
    console.log(
      `STS: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("CloudWatch Logs: every operation declares its members, and each SDK member is handled or knowingly refused", () => {
    const operations = new LogsApi({} as LogsApiDependencies).operations;
    for (const operation of operations)
      expect(shapeMembers(operation.input), `${operation.name} declares its members`).toBeDefined();
    const declared = logsDeclaredMembers();
    const result = coverage("Logs", declared, sdkInputMembers("client-cloudwatch-logs"));
    console.log(
      `Logs: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.operations).toBe(operations.length);
    expect(Object.keys(declared)).toHaveLength(17);
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("Lambda: every served operation's SDK members are handled or knowingly refused", () => {
    const declared = lambdaDeclaredMembers();
    const result = coverage("Lambda", declared, sdkInputMembers("client-lambda"));
    console.log(
      `Lambda: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.operations).toBe(26);
    // Every operation the API serves declares its members (an operation without a schema would refuse nothing);
    // DownloadCode is the code URL GetFunction answers, not an API operation.
    const operations = new LambdaApi({} as ConstructorParameters<typeof LambdaApi>[0]).declaration()
      .operations;
    for (const operation of operations.filter((entry) => entry.name !== "DownloadCode"))
      expect(shapeMembers(operation.input), `${operation.name} declares its members`).toBeDefined();
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("DynamoDB (dynalite): each SDK member of an operation dynalite serves is handled or knowingly refused", () => {
    // The others dynalite answers itself with UnknownOperationException: refused whole.
    const declared = dynaliteDeclaredMembers();
    expect(Object.keys(declared)).toHaveLength(17);
    const result = coverage("DynamoDB", declared, sdkInputMembers("client-dynamodb", "Input"));
    console.log(
      `DynamoDB: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("SQS: every served operation declares its members, and each SDK member is handled or knowingly refused", () => {
    // Every operation the engine serves declares its members in its zod input (the dispatcher refuses the rest).
    const operations = sqsOperations({} as SqsOperationContext);
    for (const operation of operations)
      expect(shapeMembers(operation.input), `${operation.name} declares its members`).toBeDefined();
    const declared = sqsDeclaredMembers();
    const result = coverage("SQS", declared, sdkInputMembers("client-sqs"));
    console.log(
      `SQS: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.operations).toBe(operations.length);
    expect(Object.keys(declared)).toHaveLength(21);
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("S3: every served operation declares its members; each SDK member is handled or refused on the SDK's wire", () => {
    const sdk = sdkInputMembers("client-s3");
    // The wire each SDK member travels on, from the SDK's own serialization schemas (`<Operation>Request$`).
    const schemas = createRequire(import.meta.url)("@aws-sdk/client-s3") as Record<string, unknown>;
    const wireOf = (operation: string, member: string): string | undefined => {
      const [, , , , names, shapes] = schemas[`${operation}Request$`] as [0, 0, 0, 0, string[], unknown[]];
      const traits = (shapes[names.indexOf(member)] as [unknown, Record<string, string>] | undefined)?.[1];
      if (traits?.httpHeader) return traits.httpHeader.toLowerCase();
      return traits?.httpQuery === undefined ? undefined : `?${traits.httpQuery}`;
    };
    const browserOnly = ["PreflightCors", "PostObject"];
    const operations = s3DeclaredOperations();
    const served = operations.map(({ name }) => name).filter((name) => !browserOnly.includes(name));
    const declared: Record<string, readonly string[]> = {};
    const refused: Record<string, readonly string[]> = {};
    const wrongWire: string[] = [];
    for (const name of served) {
      const members = operations.find((operation) => operation.name === name)?.members;
      expect(members, `${name} declares its members`).toBeDefined();
      declared[name] = members?.handled ?? [];
      refused[name] = Object.keys(members?.refused ?? {});
      for (const [member, wire] of Object.entries(members?.refused ?? {}))
        if (wireOf(name, member) !== wire)
          wrongWire.push(`${name}.${member}: ${wire} (SDK: ${wireOf(name, member)})`);
    }
    const result = coverage("S3", declared, sdk, refused);
    const perOperation = served.map(
      (name) => `${name} ${declared[name]?.length ?? 0}/${refused[name]?.length ?? 0}`,
    );
    console.log(
      `S3: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused (handled/refused: ${perOperation.join(", ")})`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
    expect(wrongWire).toEqual([]);
  });
});
