import { isUtf8 } from "node:buffer";
import { authorizeRequest, deniedMessage } from "../policy/authorize.ts";
import { type DurableStore, StoreWriteError } from "../store/index.ts";
import type { Authorizer, ServiceRequest, ServiceResponse } from "../types.ts";
import {
  decodeJsonBody,
  jsonNestsDeeperThan,
  jsonOutput,
  jsonResponse,
  MAX_JSON_DEPTH,
  operationFromTarget,
  renderJsonError,
  speaksJson,
} from "./codecs/json.ts";
import {
  decodeQueryInput,
  parseQueryForm,
  type QueryForm,
  QueryParams,
  queryResponse,
  renderQueryError,
  repeatedParameterError,
} from "./codecs/query.ts";
import { boundMembers, createRouter, jsonObjectBody, restJsonError, restXmlError } from "./codecs/rest.ts";
import { toXml } from "./codecs/xml.ts";
import {
  type AnyOperation,
  type OperationCall,
  type ProtocolName,
  RawResponse,
  type ResourceTarget,
  type ServiceDeclaration,
} from "./declaration.ts";
import { ServiceError } from "./errors.ts";
import { type InputIssue, validateInput } from "./validation.ts";

/** What the dispatcher needs from the engine: the authorizer, read on every call (IAM replaces it at start). */
export interface DispatcherContext {
  readonly authorizer: Authorizer;
  /** With `--persist`: every write a handler made is durable before its answer goes out. */
  readonly store?: DurableStore | undefined;
}

/** The operation a request names, in the protocol it came in. */
interface Identified {
  protocol: ProtocolName;
  /** The operation's name; `""` when the request names none. */
  name: string;
  /** What the unknown-operation error quotes when `name` is empty (the raw target). */
  shown: string;
  labels: Record<string, string>;
  /** A REST request whose path names a resource that only other methods serve. */
  methodNotAllowed?: true;
  /** A query request's parameters: the edge's parse, or this dispatcher's when it had none. */
  form?: QueryForm;
  params?: QueryParams;
}

/**
 * The one dispatcher: identifies the operation (query `Action`, JSON `X-Amz-Target`, REST route), decodes its
 * input, validates it against the schema, authorizes `action` on `resource` (policy/authorize.ts),
 * runs the handler, encodes the output, and renders every ServiceError in the request's protocol.
 */
export function createDispatcher(
  declaration: ServiceDeclaration,
  context: DispatcherContext,
): (request: ServiceRequest) => Promise<ServiceResponse> {
  const operations = new Map(declaration.operations.map((entry) => [entry.name, entry]));
  // The REST routes, compiled once (codecs/rest.ts): the hot path matches, never parses, a pattern.
  const router = createRouter(
    declaration.operations.map((entry) => entry.http),
    declaration.decodeLabel,
  );
  const route: RestRouter = (request) => {
    const path = declaration.resolve?.(request) ?? request.rawPath;
    const match = router(request.method, path, request.query, request.headers);
    if (match === undefined) return undefined;
    if ("methodNotAllowed" in match) return { name: "", labels: match.labels, methodNotAllowed: true };
    return { name: declaration.operations[match.index]?.name ?? "", labels: match.labels };
  };
  const iamPrefix = declaration.iamPrefix ?? declaration.section.signingName;

  const validationError = (
    message: string,
    protocol: ProtocolName,
    issues: readonly InputIssue[] = [],
  ): ServiceError =>
    declaration.validationError?.(message, protocol, issues) ??
    new ServiceError(400, protocol === "query" ? "ValidationError" : "ValidationException", message);

  // A member the operation does not handle: refused by name (never dropped), in the protocol's client-error code.
  const unsupportedMembers = (members: string[], protocol: ProtocolName): ServiceError =>
    new ServiceError(
      400,
      protocol === "query" ? "InvalidParameterValue" : "ValidationException",
      `${members.join(", ")}: not supported by this engine's ${declaration.section.signingName.toUpperCase()} (it would be ignored, so it is refused); see docs/engine.md`,
    );

  // A member the operation refuses by name, on its wire (a header, or `?key` in the query): never served as if absent.
  const refuseDeclaredMembers = (
    refused: Readonly<Record<string, string>>,
    request: ServiceRequest,
    protocol: ProtocolName,
  ) => {
    for (const member in refused) {
      const wire = refused[member] as string;
      const present =
        wire.charCodeAt(0) === 63 /* ? */
          ? request.query.has(wire.slice(1))
          : request.headers[wire] !== undefined;
      if (present) throw declaration.refusedMember?.(member, wire) ?? unsupportedMembers([member], protocol);
    }
  };

  const authorize = (
    operation: AnyOperation,
    input: unknown,
    call: OperationCall,
    protocol: ProtocolName,
  ) => {
    const action =
      operation.action === undefined
        ? `${iamPrefix}:${operation.name}`
        : typeof operation.action === "function"
          ? operation.action(input, call)
          : operation.action;
    if (action === null) return;
    const { caller } = call.request;
    const principal = { kind: "caller", caller } as const;
    const targets = operation.resource?.(input, call) ?? "*";
    for (const target of (Array.isArray(targets) ? targets : [targets]) as ResourceTarget[]) {
      const { resource, conditions: own } = typeof target === "string" ? { resource: target } : target;
      // aws:RequestedRegion is a global condition key every request carries.
      const conditions = { "aws:RequestedRegion": call.request.region, ...own };
      const request = { principal, action, resource, conditions };
      const verdict = authorizeRequest(
        context.authorizer,
        request,
        declaration.resourcePolicy?.(resource, call),
      );
      if (verdict.allowed) continue;
      const quoteResource = declaration.accessDenied?.quoteResource ?? protocol === "rest-xml";
      const message = deniedMessage(request, verdict, { quoteResource });
      const denial = {
        caller,
        action,
        resource,
        reason: verdict.reason,
        policyType: verdict.policyType,
        message,
      };
      throw declaration.accessDenied?.error?.(message, denial) ?? defaultAccessDenied(protocol, message);
    }
  };

  // Members the schema does not declare, each refused in the service's words or dropped as meaning the default.
  const withoutDefaults = (name: string, decoded: unknown, unsupported: readonly string[]) => {
    const kept = { ...(decoded as Record<string, unknown>) };
    for (const member of unsupported) {
      const refusal = declaration.unsupportedMember?.(name, member, kept[member]);
      if (refusal) throw refusal;
      delete kept[member];
    }
    return kept;
  };

  const decode = (operation: AnyOperation, found: Identified, request: ServiceRequest): unknown => {
    switch (found.protocol) {
      case "query": {
        const params = found.params ?? new QueryParams({ ...request, queryForm: found.form });
        if (operation.decode?.query) return operation.decode.query(params);
        const codec = declaration.protocolHooks?.queryCodec;
        return codec ? codec.decode(params, operation) : decodeQueryInput(params);
      }
      case "json":
        return operation.decode?.json ? operation.decode.json(request.body) : decodeJsonBody(request.body);
      default: {
        const members = operation.input && operation.http ? boundMembers(operation.http, request) : {};
        if ((operation.http?.body ?? (operation.input ? "json" : "raw")) === "raw")
          return { ...members, ...found.labels };
        return {
          ...jsonObjectBody(
            request,
            () =>
              new ServiceError(
                400,
                "SerializationException",
                "Could not parse the request body as a JSON object",
              ),
          ),
          ...members,
          ...found.labels,
        };
      }
    }
  };

  // The JSON protocol's version, the section's: its media type goes on answers and errors alike.
  const jsonVersion = declaration.section.protocols.json?.version ?? "1.0";
  const encode = (
    operation: AnyOperation,
    output: unknown,
    protocol: ProtocolName,
    request: ServiceRequest,
  ): ServiceResponse => {
    if (output instanceof RawResponse) return output.response;
    const { query, restXml } = declaration.section.protocols;
    const queryCodec = declaration.protocolHooks?.queryCodec;
    switch (protocol) {
      case "query": {
        const result = operation.encode?.query
          ? operation.encode.query(output)
          : queryCodec
            ? queryCodec.encode(output, operation)
            : output;
        return queryResponse(
          operation.name,
          result as Record<string, unknown> | undefined,
          request.requestId,
          query?.namespace ?? "",
        );
      }
      case "json":
        return jsonOutput(output, jsonVersion);
      case "rest-json":
        return jsonResponse(output ?? {}, operation.http?.status ?? 200);
      case "rest-xml": {
        const status = operation.http?.status ?? 200;
        const [root, body] = Object.entries((output ?? {}) as Record<string, unknown>)[0] ?? [];
        if (root === undefined) return { status, headers: {}, body: "" };
        return {
          status,
          headers: { "content-type": "application/xml" },
          body: toXml(root, body as Record<string, unknown>, restXml?.namespace),
        };
      }
    }
  };

  const renderError = (error: ServiceError, protocol: ProtocolName, request: ServiceRequest) => {
    switch (protocol) {
      case "query":
        return renderQueryError(error, request.requestId);
      case "json":
        return renderJsonError(
          error,
          declaration.section.protocols.json?.errorPrefix ?? "",
          declaration.section.protocols.json?.fullErrorType === true,
          jsonVersion,
        );
      case "rest-json":
        return restJsonError(error.status, error.code, error.message, error.headers, error.fields);
      case "rest-xml":
        return restXmlError(error, request.requestId, {
          isHead: request.method.toUpperCase() === "HEAD",
          ...(declaration.protocolHooks?.restXmlErrorDetails
            ? { details: declaration.protocolHooks.restXmlErrorDetails(error, request) }
            : {}),
        });
    }
  };

  const primary = primaryProtocol(declaration);
  return async (request) => {
    let protocol = primary;
    try {
      const found = identify(declaration, request, route);
      protocol = found.protocol;
      if (found.form && found.form.repeated.length > 0) throw repeatedParameterError(found.form.repeated);
      if (found.protocol === "json") {
        assertJsonBody(request);
        if (jsonNestsDeeperThan(request.body, MAX_JSON_DEPTH))
          throw (
            declaration.tooDeeplyNested?.() ??
            validationError(`The request nests deeper than ${MAX_JSON_DEPTH} levels`, "json")
          );
      }
      const call: OperationCall = { operation: found.name, request, protocol, labels: found.labels };
      const operation = operations.get(found.name);
      if (!operation) {
        if (declaration.fallback) {
          // An undeclared operation still needs its action, on any resource.
          if (found.name !== "")
            authorize({ name: found.name, handler: () => undefined }, {}, call, found.protocol);
          return await declaration.fallback(found.name, call);
        }
        throw (
          declaration.unknownOperation?.(found.name || found.shown, call) ??
          defaultUnknownOperation(declaration, found, request)
        );
      }
      if (found.protocol === "query")
        found.params = new QueryParams({ ...request, queryForm: found.form }, (message) =>
          validationError(message, "query"),
        );
      const decoded = decode(operation, found, request);
      let input = decoded;
      if (operation.input) {
        let validation = validateInput(operation.input, decoded);
        if (!validation.ok && "unsupported" in validation && declaration.unsupportedMember)
          validation = validateInput(
            operation.input,
            withoutDefaults(operation.name, decoded, validation.unsupported),
          );
        if (!validation.ok) {
          if ("unsupported" in validation) throw unsupportedMembers(validation.unsupported, found.protocol);
          throw validationError(validation.message, found.protocol, validation.issues);
        }
        input = validation.value;
      }
      declaration.authenticate?.(operation.name, call);
      authorize(operation, input, call, found.protocol);
      if (operation.members?.refused)
        refuseDeclaredMembers(operation.members.refused, request, found.protocol);
      const output = context.store
        ? await durably(context.store, () => operation.handler(input, call), found.protocol)
        : await operation.handler(input, call);
      return encode(operation, output, found.protocol, request);
    } catch (error) {
      if (error instanceof ServiceError) return renderError(error, protocol, request);
      const mapped = declaration.unexpectedError?.(error, request);
      if (mapped) return renderError(mapped, protocol, request);
      throw error;
    }
  };
}

/** Runs a handler and waits until its writes are durable; a failed write answers 500, never an acknowledgement. */
async function durably<T>(
  store: DurableStore,
  handler: () => Promise<T>,
  protocol: ProtocolName,
): Promise<T> {
  try {
    return await store.run(handler);
  } catch (error) {
    if (!(error instanceof StoreWriteError)) throw error;
    throw new ServiceError(
      500,
      protocol === "rest-xml" ? "InternalError" : "InternalFailure",
      `The change could not be made durable: ${error.message}`,
    );
  }
}

/**
 * Which protocol a request speaks, and the operation it names. With JSON and query on one endpoint (SQS), an
 * `X-Amz-Target` header means JSON and anything else query; REST routes come last.
 */
function identify(declaration: ServiceDeclaration, request: ServiceRequest, route: RestRouter): Identified {
  const { json, query, restJson, restXml } = declaration.section.protocols;
  const rest = restJson ? "rest-json" : restXml ? "rest-xml" : undefined;
  const target = request.headers["x-amz-target"];
  const targetText = typeof target === "string" ? target : "";
  // With both on one endpoint (SQS), the content type decides first (codecs/json.ts).
  if (json && (query ? speaksJson(request.headers) : targetText !== "" || !rest)) {
    return {
      protocol: "json",
      name: operationFromTarget(targetText, json.targetPrefixes),
      shown: targetText,
      labels: {},
    };
  }
  if (query && (!rest || isQueryRequest(request))) {
    const form = request.queryForm ?? parseQueryForm(request.query, request.body);
    const action = form.params.get("Action") ?? "";
    return { protocol: "query", name: action, shown: action, labels: {}, form };
  }
  const protocol = rest ?? "rest-json";
  const resolved = route(request);
  return {
    protocol,
    name: resolved?.name ?? "",
    shown: `${request.method.toUpperCase()} ${request.rawPath}`,
    labels: resolved?.labels ?? {},
    ...(resolved?.methodNotAllowed ? { methodNotAllowed: true as const } : {}),
  };
}

/** The operation a REST request's method, path, query and headers name among the declared routes. */
type RestRouter = (
  request: ServiceRequest,
) => { name: string; labels: Record<string, string>; methodNotAllowed?: true } | undefined;

const jsonContentTypes = new Set([
  "application/x-amz-json-1.0",
  "application/x-amz-json-1.1",
  "application/json",
]);

/**
 * A JSON-protocol body must say it is JSON, and be UTF-8. DynamoDB answers other content types with a bare
 * `<UnknownOperationException/>` that no SDK can read; the engine says the same in the protocol's JSON. Bytes
 * that are not UTF-8 are a SerializationException, never silently replaced (a message body stored with
 * U+FFFD in place of what was sent would fail the SDK's MD5 check after the send succeeded).
 */
function assertJsonBody(request: ServiceRequest): void {
  if (request.body.length === 0) return;
  // Validated without decoding it to a string (the codec parses it once, later).
  if (!isUtf8(request.body))
    throw new ServiceError(400, "SerializationException", "Request body is not valid UTF-8");
  const header = request.headers["content-type"];
  // The SDKs send the bare type: one lookup; parameters, spaces and case are read only when it is not that.
  if (typeof header === "string" && jsonContentTypes.has(header)) return;
  const contentType = String(header ?? "")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  if (!jsonContentTypes.has(contentType ?? ""))
    throw new ServiceError(
      404,
      "UnknownOperationException",
      `A JSON-protocol request must have a JSON content type, not '${contentType}'`,
    );
}

/** The protocol errors are rendered in before the request's own is known. */
function primaryProtocol(declaration: ServiceDeclaration): ProtocolName {
  const { json, query, restJson } = declaration.section.protocols;
  return json ? "json" : query ? "query" : restJson ? "rest-json" : "rest-xml";
}

function isQueryRequest(request: ServiceRequest): boolean {
  const contentType = String(request.headers["content-type"] ?? "");
  return contentType.startsWith("application/x-www-form-urlencoded") || request.query.has("Action");
}

function defaultUnknownOperation(
  declaration: ServiceDeclaration,
  found: Identified,
  request: ServiceRequest,
): ServiceError {
  switch (found.protocol) {
    case "query":
      return new ServiceError(
        400,
        "InvalidAction",
        `Could not find operation ${found.name} for version ${declaration.section.protocols.query?.version ?? ""}`,
      );
    case "json":
      return new ServiceError(
        400,
        "UnknownOperationException",
        `Operation ${found.name || found.shown} is not supported`,
      );
    default:
      return new ServiceError(
        404,
        "UnknownOperationException",
        `The embedded ${declaration.section.signingName} service does not serve ${request.method.toUpperCase()} ${request.rawPath}`,
      );
  }
}

function defaultAccessDenied(protocol: ProtocolName, message: string): ServiceError {
  switch (protocol) {
    case "query":
      return new ServiceError(403, "AccessDenied", message);
    case "json":
      return new ServiceError(400, "AccessDeniedException", message);
    case "rest-json":
      return new ServiceError(403, "AccessDeniedException", message);
    case "rest-xml":
      return new ServiceError(403, "AccessDenied", message);
  }
}
