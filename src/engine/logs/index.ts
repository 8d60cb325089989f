import { join } from "node:path";
import { jsonAccessDenied } from "../access-denied.ts";
import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { jsonError, ServiceError } from "../service/index.ts";
import type { Service, ServiceRequest, ServiceResponse } from "../types.ts";
import { LogsApi, LogsArns } from "./api.ts";
import type { LogWriter } from "./contract.ts";
import { LogJournal } from "./journal.ts";
import { LogStore } from "./store.ts";

const errorPrefix = "com.amazonaws.logs";

/** The Logs service and the typed writer the Lambda runtime writes function output through. */
export interface LogsParts {
  service: Service;
  api: LogWriter;
}

/**
 * CloudWatch Logs over JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`), with IAM checks for role callers,
 * and the {@link LogWriter} the Lambda runtime writes function output through.
 */
export async function createLogsService(context: EngineContext, _options: EngineOptions): Promise<LogsParts> {
  const store = new LogStore();
  const journal = context.dataDir ? new LogJournal(join(context.dataDir, "logs.jsonl")) : undefined;
  journal?.restore(store);
  const api = new LogsApi({
    store,
    accountId: context.accountId,
    events: context.events,
    ...(journal ? { journal } : {}),
  });

  const writer: LogWriter = {
    putLogEvents(groupName, streamName, events) {
      if (!store.hasGroup(groupName)) return false;
      api.append(groupName, streamName, events, true);
      return true;
    },
    ensureLogGroup(groupName) {
      if (!store.hasGroup(groupName)) api.createGroup(groupName);
    },
    hasLogGroup: (groupName) => store.hasGroup(groupName),
  };

  const service: Service = {
    signingName: "logs",
    async handle(request: ServiceRequest): Promise<ServiceResponse> {
      const target = String(request.headers["x-amz-target"] ?? "");
      const operationName = target.startsWith("Logs_20140328.") ? target.slice("Logs_20140328.".length) : "";
      const operation = api.operations[operationName];
      if (!operation) {
        return jsonError(
          400,
          "UnknownOperationException",
          `Operation ${operationName || target} is not supported`,
          errorPrefix,
        );
      }
      let input: Record<string, unknown>;
      try {
        const text = request.body.toString("utf8").trim();
        input = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        return jsonError(400, "SerializationException", "Request body is not valid JSON", errorPrefix);
      }
      try {
        const resource = operation.resource(input, new LogsArns(request.region, context.accountId));
        const action = `logs:${operationName}`;
        const verdict = context.authorizer.authorize(request.caller, action, resource);
        if (!verdict.allowed)
          return jsonAccessDenied(request.caller, action, resource, verdict.reason, errorPrefix);
        const output = operation.run(input, request.region);
        return {
          status: 200,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: JSON.stringify(output),
        };
      } catch (error) {
        if (error instanceof ServiceError)
          return jsonError(error.status, error.code, error.message, errorPrefix);
        throw error;
      }
    },
  };
  return { service, api: writer };
}
