import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { dynaliteMembers } from "../../src/engine/dynamodb/members.ts";
import { dynamoDbOperations } from "../../src/engine/dynamodb/operations.ts";
import { iamOperations } from "../../src/engine/iam/actions.ts";
import { IamStore } from "../../src/engine/iam/store.ts";
import { LambdaApi } from "../../src/engine/lambda/api.ts";
import { LogsApi, type LogsApiDependencies } from "../../src/engine/logs/api.ts";
import { s3Operations } from "../../src/engine/s3/declaration.ts";
import type { S3Runtime } from "../../src/engine/s3/runtime.ts";
import { type SqsOperationContext, sqsOperations } from "../../src/engine/sqs/operations.ts";
import { assumeRoleInput } from "../../src/engine/sts/index.ts";

/**
 * What each service serves, read from the engine's own operation declarations (the members each operation
 * handles) and the AWS SDK's input types (every member a client can send): the served operations and, for each,
 * the SDK members it refuses by name. docs/engine.md's generated table is written from this
 * (`npx tsx scripts/engine-features.ts --write`), and test/unit/member-coverage.test.ts checks the same lists.
 */

export interface ServedService {
  service: string;
  client: string;
  operations: Array<{ name: string; handled: readonly string[]; refused: string[] }>;
}

/** The property names of each `export interface <Name><suffix>` in an SDK client's model declarations. */
export function sdkInputMembers(client: string, suffix = "Request"): Map<string, string[]> {
  const directory = join("node_modules", "@aws-sdk", client, "dist-types", "models");
  const members = new Map<string, string[]>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".d.ts"))) {
    const source = ts.createSourceFile(
      file,
      readFileSync(join(directory, file), "utf8"),
      ts.ScriptTarget.Latest,
    );
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !node.name.text.endsWith(suffix)) return;
      const names = node.members
        .filter(ts.isPropertySignature)
        .map((member) => (member.name as ts.Identifier).text);
      members.set(node.name.text.slice(0, -suffix.length), names);
    });
  }
  return members;
}

/** Operations whose SDK input type is not `<Operation>Request`. */
export const sdkInputNames: Record<string, string> = { Invoke: "Invocation" };

/** The declared members of an operation with an object schema (zod's shape); undefined without one. */
export function shapeMembers(input: unknown): readonly string[] | undefined {
  const shape = (input as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? undefined : Object.keys(shape);
}

/** Each declared operation's members, read from its zod input schema (none without one). */
function declaredOperationMembers(
  operations: readonly { name: string; input?: unknown }[],
): Record<string, readonly string[]> {
  return Object.fromEntries(
    operations.map((operation) => [operation.name, shapeMembers(operation.input) ?? []]),
  );
}

/** SQS's declared operations and their members (nothing is called while declaring). */
export const sqsDeclaredMembers = (): Record<string, readonly string[]> =>
  declaredOperationMembers(sqsOperations({} as SqsOperationContext));

/** CloudWatch Logs' declared operations and their members (nothing is called while declaring). */
export const logsDeclaredMembers = (): Record<string, readonly string[]> =>
  declaredOperationMembers(new LogsApi({} as LogsApiDependencies).operations);

/** DynamoDB's operations that dynalite serves, with the members it handles (the others it refuses whole). */
export function dynaliteDeclaredMembers(): Record<string, readonly string[]> {
  const declared: Record<string, readonly string[]> = {};
  for (const operation of dynamoDbOperations("000000000000", async () => ({ status: 200, headers: {} }))) {
    const members = dynaliteMembers(operation.name);
    if (members !== undefined) declared[operation.name] = [...members];
  }
  return declared;
}

/**
 * Lambda's operations with the members their schemas declare; DownloadCode (the code URL GetFunction answers)
 * is not an API operation. The declaration is only read, so the API needs none of its dependencies.
 */
export function lambdaDeclaredMembers(): Record<string, readonly string[]> {
  const declaration = new LambdaApi({} as ConstructorParameters<typeof LambdaApi>[0]).declaration();
  return Object.fromEntries(
    declaration.operations
      .filter((operation) => operation.name !== "DownloadCode")
      .map((operation) => [operation.name, shapeMembers(operation.input) ?? []]),
  );
}

/**
 * S3's operations as declared (s3/declaration.ts), each with the members it handles and refuses (by wire);
 * browser-only requests (form uploads, preflights) declare none. Declarations are only read here, never run:
 * they need no runtime.
 */
export function s3DeclaredOperations(): Array<{
  name: string;
  members?: { handled: readonly string[]; refused?: Readonly<Record<string, string>> };
}> {
  return s3Operations(undefined as unknown as S3Runtime);
}

/** Each service's declared members per served operation. */
function declaredMembers(): Array<{
  service: string;
  client: string;
  suffix?: string;
  declared: Record<string, readonly string[]>;
}> {
  const account = "000000000000";
  return [
    {
      service: "S3",
      client: "client-s3",
      declared: Object.fromEntries(
        s3DeclaredOperations().flatMap(({ name, members }) => (members ? [[name, members.handled]] : [])),
      ),
    },
    {
      service: "DynamoDB (dynalite)",
      client: "client-dynamodb",
      suffix: "Input",
      declared: dynaliteDeclaredMembers(),
    },
    { service: "Lambda", client: "client-lambda", declared: lambdaDeclaredMembers() },
    {
      service: "IAM",
      client: "client-iam",
      declared: Object.fromEntries(
        iamOperations(new IamStore(account), account).map((operation) => [
          operation.name,
          shapeMembers(operation.input) ?? [],
        ]),
      ),
    },
    {
      service: "STS",
      client: "client-sts",
      declared: { GetCallerIdentity: [], AssumeRole: shapeMembers(assumeRoleInput) ?? [] },
    },
    { service: "CloudWatch Logs", client: "client-cloudwatch-logs", declared: logsDeclaredMembers() },
    { service: "SQS", client: "client-sqs", declared: sqsDeclaredMembers() },
  ];
}

export function servedServices(): ServedService[] {
  return declaredMembers().map(({ service, client, suffix, declared }) => {
    const sdk = sdkInputMembers(client, suffix);
    const operations = Object.entries(declared)
      .map(([name, handled]) => ({
        name,
        handled,
        refused: (sdk.get(sdkInputNames[name] ?? name) ?? []).filter((member) => !handled.includes(member)),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { service, client, operations };
  });
}

/** The markdown docs/engine.md carries between its `features` markers. */
export function renderFeatureTable(services: readonly ServedService[]): string {
  const lines = [
    "| service | operations served | members handled | SDK members refused by name (400/501 naming the member) |",
    "|---|---|---|---|",
  ];
  for (const { service, operations } of services) {
    const handled = operations.reduce((sum, operation) => sum + operation.handled.length, 0);
    const refused = operations
      .filter((operation) => operation.refused.length > 0)
      .map(
        (operation) => `${operation.name}: ${operation.refused.map((member) => `\`${member}\``).join(", ")}`,
      );
    lines.push(
      `| ${service} | ${operations.length}: ${operations.map((operation) => operation.name).join(", ")} | ${handled} | ${refused.join("; ") || "none"} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
