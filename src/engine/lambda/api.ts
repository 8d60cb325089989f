import * as z from "zod";
import { lambdaFunctionArn } from "../arn.ts";
import { pageFrom } from "../paging.ts";
import {
  type AnyOperation,
  type OperationCall,
  operation,
  respondWith,
  type ServiceDeclaration,
  ServiceError,
} from "../service/index.ts";
import type { ServiceRequest } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { aliasOperations } from "./alias-operations.ts";
import type { AsyncInvocationQueue } from "./async-queue.ts";
import { codeDownload, codeLocation } from "./code-location.ts";
import { type CodePackage, readCodePackage } from "./code-package.ts";
import { CodePackageError, RunnerClosedError } from "./errors.ts";
import { eventInvokeConfigOperations } from "./event-invoke-config.ts";
import { parseFunctionReference } from "./function-name.ts";
import {
  type FunctionSettingsDependencies,
  invalidParameterValue,
  parseArchitectures,
  parseFunctionSettings,
  validationException,
} from "./function-settings.ts";
import { type FunctionStore, renderConfiguration } from "./functions.ts";
import { invoke } from "./invoke.ts";
import { unsupportedMember } from "./members.ts";
import {
  type FindFunction,
  type FunctionTarget,
  functionFinder,
  functionPath,
  functionsPath,
  label,
  maxItems,
  member,
  parameter,
} from "./operations.ts";
import { permissionOperations } from "./permission-operations.ts";
import { functionResourcePolicy } from "./policy.ts";
import type { FunctionRunner } from "./runner.ts";
import { lambdaSection } from "./section.ts";
import { tagOperations } from "./tag-operations.ts";
import {
  checkNotUpdating,
  checkRevision,
  deleteVersion,
  publish,
  versionOperations,
} from "./version-operations.ts";

/** What the API needs from the rest of the service. */
export interface LambdaApiDependencies extends FunctionSettingsDependencies {
  store: FunctionStore;
  runner: FunctionRunner;
  queue: AsyncInvocationQueue;
}

/**
 * The Lambda REST-JSON API (2015-03-31) for the operations the pipeline and its tools use: functions, code,
 * configuration, invocations and resource policies.
 */
export class LambdaApi {
  readonly #deps: LambdaApiDependencies;

  constructor(dependencies: LambdaApiDependencies) {
    this.#deps = dependencies;
  }

  /** The service's declaration: its operations, each routed by its declared method and path, over REST-JSON. */
  declaration(): ServiceDeclaration {
    const deps = () => this.#deps;
    const find = functionFinder(deps);
    return {
      section: lambdaSection,
      operations: [
        ...this.#operations(find),
        ...permissionOperations(deps, find),
        ...versionOperations(deps, find),
        ...aliasOperations(deps, find),
        ...tagOperations(deps, find),
        ...eventInvokeConfigOperations(deps, find),
      ],
      unsupportedMember,
      // The function's own policy, weighed with the caller's identity policies (policy/authorize.ts): the one
      // resource() found for the call, else (CreateFunction) the function the ARN names.
      resourcePolicy: (resource, call) => {
        const name = parseFunctionReference(resource)?.name;
        const record =
          find.found(call)?.record ?? (name === undefined ? undefined : this.#deps.store.get(name));
        return record && functionResourcePolicy(record);
      },
      unknownOperation: (_name, { request }) =>
        new ServiceError(
          404,
          "UnknownOperationException",
          `The embedded Lambda service does not serve ${request.method.toUpperCase()} ${request.rawPath}`,
        ),
      unexpectedError: (error) => {
        if (error instanceof RunnerClosedError)
          return new ServiceError(503, "ServiceException", error.message);
        this.#deps.context.log(
          `lambda: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return new ServiceError(
          500,
          "ServiceException",
          "An internal error occurred in the embedded Lambda service.",
        );
      },
    };
  }

  /** The operations on functions, their code, configuration and invocations. */
  #operations(find: FindFunction): AnyOperation[] {
    const versioned = (call: OperationCall, input: { FunctionName: string; Qualifier?: string }) =>
      find(call, input.FunctionName, input.Qualifier, "versions");
    return [
      operation({
        name: "CreateFunction",
        http: { method: "POST", path: functionsPath, status: 201 },
        action: "lambda:CreateFunction",
        input: z.object({
          FunctionName: member,
          Runtime: member,
          Role: member,
          Handler: member,
          Code: member,
          Description: member,
          Timeout: member,
          MemorySize: member,
          Publish: member,
          PackageType: member,
          DeadLetterConfig: member,
          Environment: member,
          TracingConfig: member,
          Tags: member,
          Architectures: member,
          EphemeralStorage: member,
        }),
        resource: (input) => this.#arn(this.#newFunctionName(input)),
        handler: (input) => this.#create(input),
      }),
      operation({
        name: "ListFunctions",
        http: { method: "GET", path: functionsPath },
        action: "lambda:ListFunctions",
        input: z.object({ Marker: parameter, MaxItems: maxItems }),
        handler: (input) => this.#list(input),
      }),
      operation({
        name: "GetFunction",
        http: { method: "GET", path: functionPath },
        action: "lambda:GetFunction",
        input: z.object({ FunctionName: label, Qualifier: parameter }),
        resource: (input, call) => versioned(call, input).record.arn,
        handler: (input, call) => this.#get(call.request, versioned(call, input)),
      }),
      operation({
        name: "DeleteFunction",
        http: { method: "DELETE", path: functionPath },
        action: "lambda:DeleteFunction",
        input: z.object({ FunctionName: label, Qualifier: parameter }),
        resource: (input, call) => versioned(call, input).record.arn,
        handler: (input, call) => this.#delete(versioned(call, input)),
      }),
      operation({
        name: "GetFunctionConfiguration",
        http: { method: "GET", path: `${functionPath}/configuration` },
        action: "lambda:GetFunctionConfiguration",
        input: z.object({ FunctionName: label, Qualifier: parameter }),
        resource: (input, call) => versioned(call, input).record.arn,
        handler: (input, call) => this.#configuration(versioned(call, input)),
      }),
      operation({
        name: "UpdateFunctionConfiguration",
        http: { method: "PUT", path: `${functionPath}/configuration` },
        action: "lambda:UpdateFunctionConfiguration",
        input: z.object({
          FunctionName: label,
          Role: member,
          Handler: member,
          Description: member,
          Timeout: member,
          MemorySize: member,
          Environment: member,
          Runtime: member,
          DeadLetterConfig: member,
          TracingConfig: member,
          RevisionId: member,
          EphemeralStorage: member,
        }),
        resource: (input, call) => find(call, input.FunctionName).record.arn,
        handler: (input, call) => this.#updateConfiguration(find(call, input.FunctionName), input),
      }),
      operation({
        name: "UpdateFunctionCode",
        http: { method: "PUT", path: `${functionPath}/code` },
        action: "lambda:UpdateFunctionCode",
        input: z.object({
          FunctionName: label,
          ZipFile: member,
          Architectures: member,
          Publish: member,
          DryRun: member,
          RevisionId: member,
        }),
        resource: (input, call) => find(call, input.FunctionName).record.arn,
        handler: (input, call) => this.#updateCode(find(call, input.FunctionName), input),
      }),
      operation({
        name: "Invoke",
        // The body is the function's payload, not members; the invocation's options come as headers.
        http: {
          method: "POST",
          path: `${functionPath}/invocations`,
          body: "raw",
          headers: {
            InvocationType: "x-amz-invocation-type",
            LogType: "x-amz-log-type",
            ClientContext: "x-amz-client-context",
            DurableExecutionName: "x-amz-durable-execution-name",
            TenantId: "x-amz-tenant-id",
          },
        },
        action: "lambda:InvokeFunction",
        input: z.object({
          FunctionName: label,
          Qualifier: parameter,
          InvocationType: parameter,
          LogType: parameter,
          ClientContext: parameter,
          // The body (Smithy's `@httpPayload`), which the handler reads raw.
          Payload: member,
        }),
        resource: (input, call) => versioned(call, input).record.arn,
        handler: async (input, call) =>
          respondWith(await invoke(call.request, versioned(call, input), this.#deps)),
      }),
      // The code download GetFunction's Location points to: not an AWS operation, and no IAM check (the URL is
      // the credential, as a presigned S3 URL is).
      operation({
        name: "DownloadCode",
        http: { method: "GET", path: `${functionPath}/package/{File}` },
        action: null,
        handler: (_input, { labels }) =>
          respondWith(codeDownload(this.#deps.store.get(labels.FunctionName ?? ""), labels.File ?? "")),
      }),
    ];
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  #arn(name: string): string {
    return lambdaFunctionArn(this.#deps.context.region, this.#deps.context.accountId, name);
  }

  /** The published version a target names directly or through its alias's primary version. */
  #versionOf(target: FunctionTarget) {
    if (target.version) return target.version;
    const primary = target.alias?.functionVersion;
    return primary && primary !== "$LATEST"
      ? target.record.versions.find((candidate) => candidate.version === primary)
      : undefined;
  }

  async #codePackage(zipFile: unknown): Promise<CodePackage> {
    if (typeof zipFile !== "string" || zipFile === "") {
      throw invalidParameterValue(
        "The embedded engine accepts deployment packages as Code.ZipFile only (S3 and image code are not supported).",
      );
    }
    try {
      return await readCodePackage(Buffer.from(zipFile, "base64"));
    } catch (error) {
      if (error instanceof CodePackageError) throw invalidParameterValue(error.message);
      throw error;
    }
  }

  // --- operations --------------------------------------------------------------------------------------------

  /** The name a CreateFunction body asks for, or AWS's validation error. */
  #newFunctionName(body: Record<string, unknown>): string {
    const name =
      typeof body.FunctionName === "string" ? parseFunctionReference(body.FunctionName)?.name : undefined;
    if (!name) throw validationException(validationMessage("functionName", String(body.FunctionName)));
    return name;
  }

  async #create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = this.#newFunctionName(body);
    if (body.PackageType !== undefined && body.PackageType !== "Zip") {
      throw invalidParameterValue("The embedded engine runs Zip packages only.");
    }
    if (body.Runtime === undefined)
      throw invalidParameterValue(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
      );
    if (body.Handler === undefined)
      throw invalidParameterValue(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
      );
    if (body.Role === undefined)
      throw validationException(validationMessage("role", null, constraint.notNull));
    const settings = parseFunctionSettings(body, this.#deps);
    if (this.#deps.store.get(name)) {
      throw new ServiceError(409, "ResourceConflictException", `Function already exist: ${name}`);
    }
    const pkg = await this.#codePackage((body.Code as { ZipFile?: unknown } | undefined)?.ZipFile);
    // Unzipping took turns of the event loop: a create of the same name may have finished meanwhile.
    if (this.#deps.store.get(name)) {
      throw new ServiceError(409, "ResourceConflictException", `Function already exist: ${name}`);
    }
    const { record, unpacked } = this.#deps.store.create(
      name,
      {
        runtime: settings.runtime ?? "nodejs22.x",
        role: settings.role ?? "",
        handler: settings.handler ?? "index.handler",
        description: settings.description ?? "",
        timeout: settings.timeout ?? 3,
        memorySize: settings.memorySize ?? 128,
        environment: settings.environment ?? {},
        ...(settings.deadLetterTargetArn ? { deadLetterTargetArn: settings.deadLetterTargetArn } : {}),
        architecture: settings.architecture ?? "x86_64",
        ephemeralStorage: settings.ephemeralStorage ?? 512,
        tracingMode: settings.tracingMode ?? "PassThrough",
        ...(settings.tags ? { tags: settings.tags } : {}),
      },
      pkg,
    );
    // Answer with the Pending configuration, but only once the code is unpacked: a waiter's first poll is then
    // already Active instead of sleeping its one-second minimum delay.
    const pending = renderConfiguration(record);
    await unpacked;
    if (body.Publish === true && record.state === "Active") {
      // The published version's configuration, under the unqualified ARN (LocalStack's create_function:
      // `return_qualified_arn=False`; UpdateFunctionCode's answer is qualified).
      const version = publish(this.#deps.store, record, {});
      return renderConfiguration(record, { version });
    }
    return pending;
  }

  #list({
    Marker: marker,
    MaxItems: maxItems,
  }: {
    Marker?: string | undefined;
    MaxItems?: number | undefined;
  }) {
    const limit = maxItems ?? 50;
    const all = this.#deps.store.list();
    // The marker names the next page's first function, so it stays valid while functions are created.
    const start = marker
      ? all.findIndex((record) => record.name === Buffer.from(marker, "base64url").toString())
      : 0;
    const page = pageFrom(all, Math.max(0, start), limit);
    const next = page.next === undefined ? undefined : all[page.next];
    return {
      Functions: page.items.map((record) => renderConfiguration(record)),
      ...(next ? { NextMarker: Buffer.from(next.name).toString("base64url") } : {}),
    };
  }

  #get(request: ServiceRequest, target: FunctionTarget) {
    const { record } = target;
    const host = request.host || new URL(this.#deps.context.endpoint()).host;
    const version = this.#versionOf(target);
    return {
      Configuration: this.#configuration(target),
      Code: {
        RepositoryType: "S3",
        Location: codeLocation(record, version?.code ?? record.code, host, this.#deps.context.region),
      },
      ...(record.tags && Object.keys(record.tags).length > 0 ? { Tags: record.tags } : {}),
    };
  }

  /** The configuration of what a call names: $LATEST, a version, or an alias's primary version. */
  #configuration(target: FunctionTarget): Record<string, unknown> {
    const version = this.#versionOf(target);
    return renderConfiguration(target.record, {
      ...(version ? { version } : {}),
      ...(target.qualifier ? { qualifier: target.qualifier } : {}),
    });
  }

  #delete(target: FunctionTarget) {
    const { record } = target;
    if (target.qualifier !== undefined) deleteVersion(this.#deps, target);
    else {
      this.#deps.store.delete(record);
      this.#deps.runner.removeFunction(record.name);
    }
    return respondWith({ status: 204 });
  }

  async #updateCode({ record }: FunctionTarget, body: Record<string, unknown>) {
    checkRevision(record.revisionId, body.RevisionId);
    const pkg = await this.#codePackage(body.ZipFile);
    checkNotUpdating(record);
    if (body.DryRun === true) return renderConfiguration(record);
    const architecture =
      body.Architectures === undefined ? undefined : parseArchitectures(body.Architectures);
    if (architecture) record.architecture = architecture;
    const unpacked = this.#deps.store.updateCode(record, pkg);
    const inProgress = renderConfiguration(record);
    await unpacked;
    if (body.Publish === true && record.lastUpdateStatus === "Successful") {
      const version = publish(this.#deps.store, record, {});
      return renderConfiguration(record, { version, qualifier: version.version });
    }
    return inProgress;
  }

  #updateConfiguration({ record }: FunctionTarget, body: Record<string, unknown>) {
    checkRevision(record.revisionId, body.RevisionId);
    const settings = parseFunctionSettings(body, this.#deps, record.role);
    checkNotUpdating(record);
    this.#deps.store.updateSettings(record, settings);
    return renderConfiguration(record);
  }
}
