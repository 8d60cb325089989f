import { notAuthorizedMessage } from "../access-denied.ts";
import { lambdaFunctionArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import { pageFrom } from "../paging.ts";
import { jsonResponse, restJsonError, ServiceError } from "../protocol.ts";
import { lambdaLimits } from "../request-limits.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import type { AsyncInvocationQueue } from "./async-queue.ts";
import { type CodePackage, readCodePackage } from "./code-package.ts";
import { CodePackageError, FunctionGoneError, RoleNotAssumableError, RunnerClosedError } from "./errors.ts";
import { executionRoleAssumable } from "./execution-role.ts";
import { parseFunctionReference } from "./function-name.ts";
import {
  type FunctionRecord,
  type FunctionSettings,
  type FunctionStore,
  renderConfiguration,
} from "./functions.ts";
import { renderPolicy, renderStatement } from "./policy.ts";
import type { FunctionRunner } from "./runner.ts";
import { type RuntimeResolver, RuntimeUnavailableError } from "./runtimes.ts";

/** Runtimes a function may declare; each runs on a Node of its major where there is one (see runtimes.ts). */
export const supportedRuntimes = ["nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"] as const;

/** Variables Lambda sets itself; functions may not define them (AWS rejects the request). */
const reservedVariables = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

const { syncPayloadBytes: syncPayloadLimit, asyncPayloadBytes: asyncPayloadLimit } = lambdaLimits;
const tailBytes = 4096;

/** What the API needs from the rest of the service. */
export interface LambdaApiDependencies {
  context: EngineContext;
  store: FunctionStore;
  runner: FunctionRunner;
  queue: AsyncInvocationQueue;
  /**
   * Check execution roles' trust policies (the engine's `enforceIam`). Off, a role only has to exist, as on
   * LocalStack without IAM enforcement.
   */
  enforceTrust: boolean;
  /** Which Node runs each runtime; with `strictRuntime` a runtime that would be emulated is refused. */
  runtimes: RuntimeResolver;
}

const notFound = (arn: string) =>
  new ServiceError(404, "ResourceNotFoundException", `Function not found: ${arn}`);
const invalid = (message: string) => new ServiceError(400, "InvalidParameterValueException", message);
const validation = (message: string) => new ServiceError(400, "ValidationException", message);

/**
 * The Lambda REST-JSON API (2015-03-31) for the operations the pipeline and its tools use: functions, code,
 * configuration, invocations and resource policies.
 */
export class LambdaApi {
  readonly #deps: LambdaApiDependencies;

  constructor(dependencies: LambdaApiDependencies) {
    this.#deps = dependencies;
  }

  async handle(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      return await this.#route(request);
    } catch (error) {
      if (error instanceof ServiceError) return restJsonError(error.status, error.code, error.message);
      if (error instanceof RunnerClosedError) return restJsonError(503, "ServiceException", error.message);
      this.#deps.context.log(
        `lambda: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return restJsonError(
        500,
        "ServiceException",
        "An internal error occurred in the embedded Lambda service.",
      );
    }
  }

  async #route(request: ServiceRequest): Promise<ServiceResponse> {
    const segments = request.rawPath.split("/").map((segment) => decodeURIComponent(segment));
    const [, version, collection, name, sub, extra] = segments;
    const method = request.method.toUpperCase();
    if (version !== "2015-03-31" || collection !== "functions") return this.#unknown(method, request.rawPath);
    if (name === undefined || name === "") {
      if (method === "POST") return this.#create(request);
      if (method === "GET") return this.#list(request);
      return this.#unknown(method, request.rawPath);
    }
    if (sub === undefined) {
      if (method === "GET") return this.#get(request, name);
      if (method === "DELETE") return this.#delete(request, name);
    } else if (sub === "configuration") {
      if (method === "GET") return this.#getConfiguration(request, name);
      if (method === "PUT") return this.#updateConfiguration(request, name);
    } else if (sub === "code" && method === "PUT") {
      return this.#updateCode(request, name);
    } else if (sub === "invocations" && method === "POST") {
      return this.#invoke(request, name);
    } else if (sub === "policy") {
      if (method === "POST" && extra === undefined) return this.#addPermission(request, name);
      if (method === "GET" && extra === undefined) return this.#getPolicy(request, name);
      if (method === "DELETE" && extra) return this.#removePermission(request, name, extra);
    } else if (sub === "package" && method === "GET" && extra) {
      return this.#download(name, extra);
    }
    return this.#unknown(method, request.rawPath);
  }

  #unknown(method: string, path: string): ServiceResponse {
    return restJsonError(
      404,
      "UnknownOperationException",
      `The embedded Lambda service does not serve ${method} ${path}`,
    );
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  #arn(name: string): string {
    return lambdaFunctionArn(this.#deps.context.region, this.#deps.context.accountId, name);
  }

  /** Finds the function a `FunctionName` (name, partial or full ARN) refers to; only `$LATEST` exists. */
  #find(reference: string, qualifier?: string | null): FunctionRecord {
    const parsed = parseFunctionReference(reference);
    if (!parsed) throw validation(validationMessage("functionName", reference));
    const record = this.#deps.store.get(parsed.name);
    const effectiveQualifier = qualifier ?? parsed.qualifier;
    if (parsed.accountId && parsed.accountId !== this.#deps.context.accountId)
      throw notFound(this.#arn(parsed.name));
    if (!record)
      throw notFound(this.#arn(parsed.name) + (effectiveQualifier ? `:${effectiveQualifier}` : ""));
    if (effectiveQualifier && effectiveQualifier !== "$LATEST")
      throw notFound(`${record.arn}:${effectiveQualifier}`);
    return record;
  }

  #authorize(request: ServiceRequest, action: string, resource: string): void {
    const result = this.#deps.context.authorizer.authorize(request.caller, `lambda:${action}`, resource);
    if (!result.allowed) {
      throw new ServiceError(
        403,
        "AccessDeniedException",
        notAuthorizedMessage(request.caller, `lambda:${action}`, resource, result.reason),
      );
    }
  }

  #json(request: ServiceRequest): Record<string, unknown> {
    if (request.body.length === 0) return {};
    try {
      const parsed: unknown = JSON.parse(request.body.toString("utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new ServiceError(
      400,
      "SerializationException",
      "Could not parse the request body as a JSON object",
    );
  }

  #checkRevision(record: FunctionRecord, revisionId: unknown): void {
    if (typeof revisionId === "string" && revisionId !== record.revisionId) {
      throw new ServiceError(
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
  }

  #checkNotUpdating(record: FunctionRecord): void {
    if (record.state === "Pending" || record.lastUpdateStatus === "InProgress") {
      throw new ServiceError(
        409,
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${record.arn}`,
      );
    }
  }

  #codePackage(zipFile: unknown): CodePackage {
    if (typeof zipFile !== "string" || zipFile === "") {
      throw invalid(
        "The embedded engine accepts deployment packages as Code.ZipFile only (S3 and image code are not supported).",
      );
    }
    try {
      return readCodePackage(Buffer.from(zipFile, "base64"));
    } catch (error) {
      if (error instanceof CodePackageError) throw invalid(error.message);
      throw error;
    }
  }

  #validateRole(role: unknown): string {
    if (
      typeof role !== "string" ||
      !/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)
    ) {
      throw validation(
        validationMessage(
          "role",
          String(role),
          constraint.pattern("arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"),
        ),
      );
    }
    const iam = this.#deps.context.internal.iam;
    const assumable = this.#deps.enforceTrust ? executionRoleAssumable(iam, role) : !iam || iam.getRole(role);
    if (!assumable) throw invalid(new RoleNotAssumableError(role).message);
    return role;
  }

  /** Validates the settings present in a Create/UpdateFunctionConfiguration body. */
  #settings(body: Record<string, unknown>): Partial<FunctionSettings> {
    const settings: Partial<FunctionSettings> = {};
    if (body.Runtime !== undefined) {
      if (
        typeof body.Runtime !== "string" ||
        !(supportedRuntimes as readonly string[]).includes(body.Runtime)
      ) {
        throw invalid(
          `The runtime parameter of ${String(body.Runtime)} is not supported by the embedded engine; use one of ${supportedRuntimes.join(", ")}.`,
        );
      }
      if (this.#deps.runtimes.strict) {
        try {
          this.#deps.runtimes.resolve(body.Runtime);
        } catch (error) {
          if (error instanceof RuntimeUnavailableError) throw invalid(error.message);
          throw error;
        }
      }
      settings.runtime = body.Runtime;
    }
    if (body.Role !== undefined) settings.role = this.#validateRole(body.Role);
    if (body.Handler !== undefined) {
      if (typeof body.Handler !== "string" || !/^[^\s]{1,128}$/.test(body.Handler)) {
        throw validation(validationMessage("handler", String(body.Handler)));
      }
      settings.handler = body.Handler;
    }
    if (body.Description !== undefined) {
      if (typeof body.Description !== "string" || body.Description.length > 256)
        throw validation("Description must be a string of at most 256 characters");
      settings.description = body.Description;
    }
    if (body.Timeout !== undefined) settings.timeout = integerIn(body.Timeout, "timeout", 1, 900);
    if (body.MemorySize !== undefined)
      settings.memorySize = integerIn(body.MemorySize, "memorySize", 128, 10240);
    if (body.Environment !== undefined) {
      const variables = (body.Environment as { Variables?: unknown } | null)?.Variables ?? {};
      if (typeof variables !== "object" || variables === null || Array.isArray(variables))
        throw validation("Environment.Variables must be a map");
      const entries = Object.entries(variables as Record<string, unknown>);
      const reserved = entries.map(([key]) => key).filter((key) => reservedVariables.has(key));
      if (reserved.length > 0) {
        throw invalid(
          `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
        );
      }
      for (const [key, value] of entries) {
        if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(key) || typeof value !== "string") {
          throw validation(
            `1 validation error detected: Environment variable '${key}' must have a name matching [a-zA-Z]([a-zA-Z0-9_])+ and a string value`,
          );
        }
      }
      settings.environment = Object.fromEntries(entries) as Record<string, string>;
    }
    return settings;
  }

  // --- operations --------------------------------------------------------------------------------------------

  async #create(request: ServiceRequest): Promise<ServiceResponse> {
    const body = this.#json(request);
    const name =
      typeof body.FunctionName === "string" ? parseFunctionReference(body.FunctionName)?.name : undefined;
    if (!name) throw validation(validationMessage("functionName", String(body.FunctionName)));
    this.#authorize(request, "CreateFunction", this.#arn(name));
    if (body.PackageType !== undefined && body.PackageType !== "Zip") {
      throw invalid("The embedded engine runs Zip packages only.");
    }
    if (body.Runtime === undefined)
      throw invalid(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
      );
    if (body.Handler === undefined)
      throw invalid(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
      );
    if (body.Role === undefined) throw validation(validationMessage("role", null, constraint.notNull));
    const settings = this.#settings(body);
    if (this.#deps.store.get(name)) {
      throw new ServiceError(409, "ResourceConflictException", `Function already exist: ${name}`);
    }
    const pkg = this.#codePackage((body.Code as { ZipFile?: unknown } | undefined)?.ZipFile);
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
      },
      pkg,
    );
    // Answer with the Pending configuration, but only once the code is unpacked: a waiter's first poll is then
    // already Active instead of sleeping its one-second minimum delay.
    const response = jsonResponse(renderConfiguration(record), 201);
    await unpacked;
    return response;
  }

  #list(request: ServiceRequest): ServiceResponse {
    this.#authorize(request, "ListFunctions", "*");
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
      Functions: page.items.map(renderConfiguration),
      ...(next ? { NextMarker: Buffer.from(next.name).toString("base64url") } : {}),
    });
  }

  #get(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "GetFunction", record.arn);
    const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const credential = `AKIAEMBEDDEDENGINE00/${date.slice(0, 8)}/${this.#deps.context.region}/lambda/aws4_request`;
    // Shaped like the presigned S3 URL AWS returns; the credential scope routes the download back to Lambda.
    const query = new URLSearchParams({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": credential,
      "X-Amz-Date": date,
      "X-Amz-Expires": "600",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": Buffer.from(record.code.sha256, "base64").toString("hex"),
    });
    const host = request.host || new URL(this.#deps.context.endpoint()).host;
    const location = `http://${host}/2015-03-31/functions/${encodeURIComponent(record.name)}/package/${shaHex(record)}.zip?${query}`;
    return jsonResponse({
      Configuration: renderConfiguration(record),
      Code: { RepositoryType: "S3", Location: location },
    });
  }

  #download(name: string, file: string): ServiceResponse {
    const record = this.#deps.store.get(name);
    if (!record || file !== `${shaHex(record)}.zip`) {
      return restJsonError(
        404,
        "ResourceNotFoundException",
        "The code package does not exist (it may have been replaced).",
      );
    }
    return { status: 200, headers: { "content-type": "application/zip" }, body: record.code.zip };
  }

  #getConfiguration(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "GetFunctionConfiguration", record.arn);
    return jsonResponse(renderConfiguration(record));
  }

  #delete(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "DeleteFunction", record.arn);
    this.#deps.store.delete(record);
    this.#deps.runner.removeFunction(record.name);
    return { status: 204 };
  }

  async #updateCode(request: ServiceRequest, reference: string): Promise<ServiceResponse> {
    const record = this.#find(reference);
    this.#authorize(request, "UpdateFunctionCode", record.arn);
    const body = this.#json(request);
    this.#checkRevision(record, body.RevisionId);
    const pkg = this.#codePackage(body.ZipFile);
    this.#checkNotUpdating(record);
    if (body.DryRun === true) return jsonResponse(renderConfiguration(record));
    const unpacked = this.#deps.store.updateCode(record, pkg);
    const response = jsonResponse(renderConfiguration(record));
    await unpacked;
    return response;
  }

  #updateConfiguration(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference);
    this.#authorize(request, "UpdateFunctionConfiguration", record.arn);
    const body = this.#json(request);
    this.#checkRevision(record, body.RevisionId);
    const settings = this.#settings(body);
    this.#checkNotUpdating(record);
    this.#deps.store.updateSettings(record, settings);
    return jsonResponse(renderConfiguration(record));
  }

  async #invoke(request: ServiceRequest, reference: string): Promise<ServiceResponse> {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "InvokeFunction", record.arn);
    const invocationType = header(request, "x-amz-invocation-type") ?? "RequestResponse";
    if (!["RequestResponse", "Event", "DryRun"].includes(invocationType)) {
      throw validation(
        validationMessage(
          "invocationType",
          invocationType,
          constraint.enumOf(["Event", "RequestResponse", "DryRun"]),
        ),
      );
    }
    if (invocationType === "DryRun") return { status: 204, headers: { "x-amz-executed-version": "$LATEST" } };
    const limit = invocationType === "Event" ? asyncPayloadLimit : syncPayloadLimit;
    if (request.body.length > limit) {
      throw new ServiceError(
        413,
        "RequestTooLargeException",
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      );
    }
    const payload = request.body.toString("utf8");
    if (payload.trim() !== "") {
      try {
        JSON.parse(payload);
      } catch (error) {
        throw new ServiceError(
          400,
          "InvalidRequestContentException",
          `Could not parse request body into json: ${String(error)}`,
        );
      }
    }
    if (record.state === "Failed") {
      throw new ServiceError(
        502,
        "ResourceNotReadyException",
        `The function ${record.name} is in state Failed: ${record.stateReason ?? ""}`,
      );
    }
    if (invocationType === "Event") {
      this.#deps.queue.enqueue(record.name, payload, { requestId: request.requestId });
      return { status: 202, headers: { "x-amzn-requestid": request.requestId } };
    }
    if (!record.deployment) {
      throw new ServiceError(
        409,
        "ResourceConflictException",
        `The operation cannot be performed at this time. The function is currently in the following state: ${record.state}`,
      );
    }
    const clientContext = parseClientContext(header(request, "x-amz-client-context"));
    const store = this.#deps.store;
    let result: Awaited<ReturnType<FunctionRunner["invoke"]>>;
    try {
      result = await this.#deps.runner.invoke(() => store.get(record.name)?.deployment, {
        requestId: request.requestId,
        payload,
        clientContext,
      });
    } catch (error) {
      if (error instanceof FunctionGoneError) throw notFound(record.arn);
      // A new execution environment could not assume the role (its trust policy changed, or it was deleted). The
      // Invoke API reference lists InvalidParameterValueException for "an IAM role ... that Lambda is unable to
      // assume", so the request fails as a 400 with CreateFunction's sentence rather than as a function error.
      if (error instanceof RoleNotAssumableError) throw invalid(error.message);
      throw error;
    }
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-amz-executed-version": "$LATEST",
    };
    if (header(request, "x-amz-log-type") === "Tail") headers["x-amz-log-result"] = tail(result.logText);
    if (result.ok) return { status: 200, headers, body: result.payload };
    headers["x-amz-function-error"] = "Unhandled";
    const error = result.error;
    const body =
      error.trace && error.trace.length > 0
        ? error
        : { errorType: error.errorType, errorMessage: error.errorMessage };
    return { status: 200, headers, body: JSON.stringify(body) };
  }

  #addPermission(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "AddPermission", record.arn);
    const body = this.#json(request);
    this.#checkRevision(record, body.RevisionId);
    const statementId = body.StatementId;
    if (typeof statementId !== "string" || !/^[a-zA-Z0-9-_.]{1,100}$/.test(statementId)) {
      throw validation(
        validationMessage("statementId", String(statementId), constraint.pattern("([a-zA-Z0-9-_.]+)")),
      );
    }
    if (typeof body.Action !== "string" || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(body.Action)) {
      throw validation(
        validationMessage(
          "action",
          String(body.Action),
          constraint.pattern("(lambda:[*]|lambda:[a-zA-Z]+|[*])"),
        ),
      );
    }
    if (typeof body.Principal !== "string" || body.Principal === "") {
      throw validation(validationMessage("principal", null, constraint.notNull));
    }
    if (record.policy.some((statement) => statement.Sid === statementId)) {
      throw new ServiceError(
        409,
        "ResourceConflictException",
        `The statement id (${statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const statement = renderStatement(
      {
        StatementId: statementId,
        Action: body.Action,
        Principal: body.Principal,
        ...optionalString("SourceArn", body.SourceArn),
        ...optionalString("SourceAccount", body.SourceAccount),
        ...optionalString("PrincipalOrgID", body.PrincipalOrgID),
        ...optionalString("EventSourceToken", body.EventSourceToken),
      },
      record.arn,
    );
    record.policy.push(statement);
    this.#deps.store.touch(record);
    return jsonResponse({ Statement: JSON.stringify(statement) }, 201);
  }

  #getPolicy(request: ServiceRequest, reference: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "GetPolicy", record.arn);
    if (record.policy.length === 0) {
      throw new ServiceError(404, "ResourceNotFoundException", "The resource you requested does not exist.");
    }
    return jsonResponse({ Policy: renderPolicy(record.policy), RevisionId: record.revisionId });
  }

  #removePermission(request: ServiceRequest, reference: string, statementId: string): ServiceResponse {
    const record = this.#find(reference, request.query.get("Qualifier"));
    this.#authorize(request, "RemovePermission", record.arn);
    this.#checkRevision(record, request.query.get("RevisionId") ?? undefined);
    const index = record.policy.findIndex((statement) => statement.Sid === statementId);
    if (index === -1) {
      throw new ServiceError(
        404,
        "ResourceNotFoundException",
        `Statement ${statementId} is not found in resource policy.`,
      );
    }
    record.policy.splice(index, 1);
    this.#deps.store.touch(record);
    return { status: 204 };
  }
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw validation(validationMessage(field, String(value), constraint.between(min, max)));
  }
  return value;
}

function header(request: ServiceRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function optionalString<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" && value !== "" ? ({ [key]: value } as Record<K, string>) : {};
}

function parseClientContext(encoded: string | undefined): unknown {
  if (!encoded) return undefined;
  try {
    return JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    throw new ServiceError(
      400,
      "InvalidRequestContentException",
      "Client context must be a valid Base64-encoded JSON object.",
    );
  }
}

/** Base64 of the last 4 KB of the log, as `X-Amz-Log-Result` carries it. */
function tail(logText: string): string {
  const bytes = Buffer.from(`${logText}\n`, "utf8");
  return bytes.subarray(Math.max(0, bytes.length - tailBytes)).toString("base64");
}

function shaHex(record: FunctionRecord): string {
  return Buffer.from(record.code.sha256, "base64").toString("hex");
}
