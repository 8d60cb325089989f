import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { iamOperations } from "../../src/engine/iam/actions.ts";
import { IamStore } from "../../src/engine/iam/store.ts";
import { logsOperationMembers } from "../../src/engine/logs/api.ts";
import { sqsOperationMembers } from "../../src/engine/sqs/operation-members.ts";
import { sqsOperations } from "../../src/engine/sqs/operations.ts";
import { assumeRoleInput } from "../../src/engine/sts/index.ts";

/**
 * Every input member of every served operation is handled or refused, read from the AWS SDK's own input types
 * (`@aws-sdk/client-*`'s `<Operation>Request` interfaces, through the TypeScript compiler API). The engine refuses
 * any member an operation does not declare; this test also fails when an SDK release adds a member that is
 * neither declared nor listed below as knowingly refused, so a new parameter shows up here, not in a user's run.
 *
 * Covered: IAM, STS, CloudWatch Logs and SQS, whose operations declare their members. Not yet covered (their
 * operations read members by hand, without a declared list): Lambda, S3, DynamoDB (the backend emulator).
 */

/** The property names of each `export interface <Name>Request` in a client's model declarations. */
function sdkRequestMembers(client: string): Map<string, string[]> {
  const directory = join("node_modules", "@aws-sdk", client, "dist-types", "models");
  const members = new Map<string, string[]>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".d.ts"))) {
    const source = ts.createSourceFile(
      file,
      readFileSync(join(directory, file), "utf8"),
      ts.ScriptTarget.Latest,
    );
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !node.name.text.endsWith("Request")) return;
      const names = node.members
        .filter(ts.isPropertySignature)
        .map((member) => (member.name as ts.Identifier).text);
      members.set(node.name.text.slice(0, -"Request".length), names);
    });
  }
  return members;
}

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
): Coverage {
  const result: Coverage = { operations: 0, handled: 0, refused: 0, unaccounted: [], unknown: [] };
  for (const [operation, members] of Object.entries(declared)) {
    const sdkMembers = sdk.get(operation);
    if (sdkMembers === undefined) {
      result.unknown.push(`${operation} (no ${operation}Request in the SDK)`);
      continue;
    }
    result.operations++;
    const refused = knowinglyRefused[service]?.[operation] ?? [];
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

/** The declared members of operations with an object schema (zod's shape). */
function shapeMembers(input: unknown): readonly string[] | undefined {
  const shape = (input as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? undefined : Object.keys(shape);
}

describe("Member coverage: every SDK input member of a served operation is handled or refused", () => {
  it("IAM: every operation declares its members, and each SDK member is handled or knowingly refused", () => {
    const declared: Record<string, readonly string[]> = {};
    for (const operation of iamOperations(new IamStore("000000000000"), "000000000000")) {
      const members = shapeMembers(operation.input);
      expect(members, `${operation.name} declares its members`).toBeDefined();
      declared[operation.name] = members ?? [];
    }
    const result = coverage("IAM", declared, sdkRequestMembers("client-iam"));
    console.log(
      `IAM: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("STS: AssumeRole's members are handled or knowingly refused (GetCallerIdentity takes none)", () => {
    const sdk = sdkRequestMembers("client-sts");
    expect(sdk.get("GetCallerIdentity")).toEqual([]);
    const result = coverage("STS", { AssumeRole: shapeMembers(assumeRoleInput) ?? [] }, sdk);
    console.log(
      `STS: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("CloudWatch Logs: each SDK member is handled or knowingly refused", () => {
    const result = coverage("Logs", logsOperationMembers, sdkRequestMembers("client-cloudwatch-logs"));
    console.log(
      `Logs: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });

  it("SQS: every served operation declares its members, and each SDK member is handled or knowingly refused", () => {
    // Every operation the engine serves has a declared list (the dispatcher refuses the rest by name).
    expect(Object.keys(sqsOperationMembers).sort()).toEqual(Object.keys(sqsOperations).sort());
    const result = coverage("SQS", sqsOperationMembers, sdkRequestMembers("client-sqs"));
    console.log(
      `SQS: ${result.operations} operations, ${result.handled} members handled, ${result.refused} refused`,
    );
    expect(result.operations).toBe(Object.keys(sqsOperations).length);
    expect(result.unknown).toEqual([]);
    expect(result.unaccounted).toEqual([]);
  });
});
