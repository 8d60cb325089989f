import { lambdaFunctionArn } from "../arn.ts";
import { pageFrom } from "../paging.ts";
import { jsonResponse, type ServiceDeclaration, ServiceError } from "../service/index.ts";
import type { ServiceResponse } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { aliasOperations } from "./alias-operations.ts";
import type { AsyncInvocationQueue } from "./async-queue.ts";
import { codeDownload, codeLocation } from "./code-location.ts";
import { type CodePackage, readCodePackage } from "./code-package.ts";
import { CodePackageError, functionNotFound, RunnerClosedError } from "./errors.ts";
import { eventInvokeConfigOperations } from "./event-invoke-config.ts";
import { parseFunctionReference } from "./function-name.ts";
import {
  type FunctionSettingsDependencies,
  integerIn,
  invalidParameterValue,
  parseArchitectures,
  parseFunctionSettings,
  validationException,
} from "./function-settings.ts";
import { type FunctionStore, renderConfiguration } from "./functions.ts";
import { invoke } from "./invoke.ts";
import {
  declareOperations,
  type FunctionCall,
  type FunctionOperation,
  type FunctionTarget,
  type LambdaCall,
  type LambdaOperation,
  resolveOperation,
} from "./operations.ts";
import { permissionOperations } from "./permission-operations.ts";
import { functionResourcePolicy } from "./policy.ts";
import { effectiveQualifier, qualifierKind } from "./qualifier.ts";
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

  /** The service's declaration: the table below, routed by method and path, over REST-JSON. */
  declaration(): ServiceDeclaration {
    return {
      section: lambdaSection,
      protocols: { restJson: {} },
      operations: declareOperations(this.#operations, (reference, qualifier, operation) =>
        this.#find(reference, qualifier, operation),
      ),
      resolve: (request) => resolveOperation(this.#operations, request),
      // The function's own policy, weighed with the caller's identity policies (policy/authorize.ts).
      resourcePolicy: (resource) => {
        const name = parseFunctionReference(resource)?.name;
        const record = name === undefined ? undefined : this.#deps.store.get(name);
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

  /** Every operation this API serves: one entry each, in the order the dispatcher tries them. */
  readonly #operations: readonly LambdaOperation[] = [
    {
      name: "CreateFunction",
      method: "POST",
      on: "collection",
      extra: "none",
      action: "CreateFunction",
      resource: (call) => this.#arn(this.#newFunctionName(call.body())),
      run: (call) => this.#create(call),
    },
    {
      name: "ListFunctions",
      method: "GET",
      on: "collection",
      extra: "none",
      action: "ListFunctions",
      run: (call) => this.#list(call),
    },
    {
      name: "GetFunction",
      method: "GET",
      on: "function",
      extra: "none",
      qualified: "versions",
      action: "GetFunction",
      run: (call) => this.#get(call),
    },
    {
      name: "DeleteFunction",
      method: "DELETE",
      on: "function",
      extra: "none",
      qualified: "versions",
      action: "DeleteFunction",
      run: (call) => this.#delete(call),
    },
    {
      name: "GetFunctionConfiguration",
      method: "GET",
      on: "function",
      sub: "configuration",
      extra: "any",
      qualified: "versions",
      action: "GetFunctionConfiguration",
      run: (call) => this.#getConfiguration(call),
    },
    {
      name: "UpdateFunctionConfiguration",
      method: "PUT",
      on: "function",
      sub: "configuration",
      extra: "any",
      qualified: false,
      action: "UpdateFunctionConfiguration",
      run: (call) => this.#updateConfiguration(call),
    },
    {
      name: "UpdateFunctionCode",
      method: "PUT",
      on: "function",
      sub: "code",
      extra: "any",
      qualified: false,
      action: "UpdateFunctionCode",
      run: (call) => this.#updateCode(call),
    },
    {
      name: "Invoke",
      method: "POST",
      on: "function",
      sub: "invocations",
      extra: "any",
      qualified: "versions",
      action: "InvokeFunction",
      run: (call) => invoke(call.request, call.target, this.#deps),
    },
    ...permissionOperations(() => this.#deps),
    ...versionOperations(() => this.#deps),
    ...aliasOperations(() => this.#deps),
    ...tagOperations(() => this.#deps),
    ...eventInvokeConfigOperations(() => this.#deps),
    // The code download GetFunction's Location points to: not an AWS operation, and no IAM check (the URL is
    // the credential, as a presigned S3 URL is).
    {
      name: "DownloadCode",
      method: "GET",
      on: "path",
      sub: "package",
      extra: "required",
      run: (call) => this.#download(call),
    },
  ];

  // --- helpers ---------------------------------------------------------------------------------------------

  #arn(name: string): string {
    return lambdaFunctionArn(this.#deps.context.region, this.#deps.context.accountId, name);
  }

  /**
   * Finds what a `FunctionName` (name, partial or full ARN, optionally qualified) and `Qualifier` name: $LATEST, a
   * published version or an alias. An operation that serves $LATEST only refuses an existing version or alias by
   * name; one that does not exist is not found, as on AWS.
   */
  #find(
    reference: string,
    qualifier: string | null | undefined,
    operation: FunctionOperation,
  ): FunctionTarget {
    const parsed = parseFunctionReference(reference);
    if (!parsed) throw validationException(validationMessage("functionName", reference));
    const record = this.#deps.store.get(parsed.name);
    const named = effectiveQualifier(parsed.qualifier, qualifier);
    if (parsed.accountId && parsed.accountId !== this.#deps.context.accountId)
      throw functionNotFound(this.#arn(parsed.name));
    if (!record) throw functionNotFound(this.#arn(parsed.name) + (named ? `:${named}` : ""));
    if (named === undefined) return { record };
    const kind = qualifierKind(named);
    if (kind === "latest") return { record, qualifier: named };
    const version =
      kind === "version" ? record.versions.find((candidate) => candidate.version === named) : undefined;
    const alias = kind === "alias" ? record.aliases.find((candidate) => candidate.name === named) : undefined;
    if (!version && !alias) throw functionNotFound(`${record.arn}:${named}`);
    if (operation.qualified !== "versions") {
      throw invalidParameterValue(
        `${operation.name} with the qualifier ${named} (a published ${version ? "version" : "alias"}) is not supported by the embedded engine; it serves $LATEST only for this operation.`,
      );
    }
    return { record, qualifier: named, ...(version ? { version } : {}), ...(alias ? { alias } : {}) };
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

  async #create(call: LambdaCall): Promise<ServiceResponse> {
    const body = call.body();
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
    const response = jsonResponse(renderConfiguration(record), 201);
    await unpacked;
    if (body.Publish === true && record.state === "Active") {
      // The published version's configuration, under the unqualified ARN (LocalStack's create_function:
      // `return_qualified_arn=False`; UpdateFunctionCode's answer is qualified).
      const version = publish(this.#deps.store, record, {});
      return jsonResponse(renderConfiguration(record, { version }), 201);
    }
    return response;
  }

  #list({ request }: LambdaCall): ServiceResponse {
    const maxItems = request.query.get("MaxItems");
    const limit = maxItems ? integerIn(Number(maxItems), "maxItems", 1, 10000) : 50;
    const marker = request.query.get("Marker");
    const all = this.#deps.store.list();
    // The marker names the next page's first function, so it stays valid while functions are created.
    const start = marker
      ? all.findIndex((record) => record.name === Buffer.from(marker, "base64url").toString())
      : 0;
    const page = pageFrom(all, Math.max(0, start), limit);
    const next = page.next === undefined ? undefined : all[page.next];
    return jsonResponse({
      Functions: page.items.map((record) => renderConfiguration(record)),
      ...(next ? { NextMarker: Buffer.from(next.name).toString("base64url") } : {}),
    });
  }

  #get({ request, record, target }: FunctionCall): ServiceResponse {
    const host = request.host || new URL(this.#deps.context.endpoint()).host;
    const version = this.#versionOf(target);
    return jsonResponse({
      Configuration: this.#configuration(target),
      Code: {
        RepositoryType: "S3",
        Location: codeLocation(record, version?.code ?? record.code, host, this.#deps.context.region),
      },
      ...(record.tags && Object.keys(record.tags).length > 0 ? { Tags: record.tags } : {}),
    });
  }

  /** The configuration of what a call names: $LATEST, a version, or an alias's primary version. */
  #configuration(target: FunctionTarget): Record<string, unknown> {
    const version = this.#versionOf(target);
    return renderConfiguration(target.record, {
      ...(version ? { version } : {}),
      ...(target.qualifier ? { qualifier: target.qualifier } : {}),
    });
  }

  #download({ params }: LambdaCall): ServiceResponse {
    return codeDownload(this.#deps.store.get(params.name), params.extra);
  }

  #getConfiguration({ target }: FunctionCall): ServiceResponse {
    return jsonResponse(this.#configuration(target));
  }

  #delete(call: FunctionCall): ServiceResponse {
    const { record, target } = call;
    if (target.qualifier !== undefined) {
      deleteVersion(this.#deps, call);
      return { status: 204 };
    }
    this.#deps.store.delete(record);
    this.#deps.runner.removeFunction(record.name);
    return { status: 204 };
  }

  async #updateCode({ record, body: readBody }: FunctionCall): Promise<ServiceResponse> {
    const body = readBody();
    checkRevision(record.revisionId, body.RevisionId);
    const pkg = await this.#codePackage(body.ZipFile);
    checkNotUpdating(record);
    if (body.DryRun === true) return jsonResponse(renderConfiguration(record));
    const architecture =
      body.Architectures === undefined ? undefined : parseArchitectures(body.Architectures);
    if (architecture) record.architecture = architecture;
    const unpacked = this.#deps.store.updateCode(record, pkg);
    const response = jsonResponse(renderConfiguration(record));
    await unpacked;
    if (body.Publish === true && record.lastUpdateStatus === "Successful") {
      const version = publish(this.#deps.store, record, {});
      return jsonResponse(renderConfiguration(record, { version, qualifier: version.version }));
    }
    return response;
  }

  #updateConfiguration({ record, body: readBody }: FunctionCall): ServiceResponse {
    const body = readBody();
    checkRevision(record.revisionId, body.RevisionId);
    const settings = parseFunctionSettings(body, this.#deps, record.role);
    checkNotUpdating(record);
    this.#deps.store.updateSettings(record, settings);
    return jsonResponse(renderConfiguration(record));
  }
}
