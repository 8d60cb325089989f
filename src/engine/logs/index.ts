import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher, type ServiceDeclaration } from "../service/index.ts";
import type { Service } from "../types.ts";
import { LogsApi } from "./api.ts";
import type { LogWriter } from "./contract.ts";
import { InvalidParameterError } from "./errors.ts";
import { LogJournal } from "./journal.ts";
import { logsSection } from "./section.ts";
import { LogStore } from "./store.ts";

/** The Logs service and the typed writer the Lambda runtime writes function output through. */
export interface LogsParts {
  service: Service;
  api: LogWriter;
}

/**
 * CloudWatch Logs over JSON 1.1 (`X-Amz-Target: Logs_20140328.<Operation>`), with IAM checks for role callers,
 * and the {@link LogWriter} the Lambda runtime writes function output through.
 */
export async function createLogsService(context: EngineContext, options: EngineOptions): Promise<LogsParts> {
  const store = new LogStore();
  const journal = context.store ? await LogJournal.open(context.store, store) : undefined;
  const api = new LogsApi({
    store,
    accountId: context.accountId,
    events: context.events,
    filterPatterns: options.compat?.logsFilterPatterns ?? true,
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

  const declaration: ServiceDeclaration = {
    section: logsSection,
    // CloudWatch Logs answers a member that fails its constraint with InvalidParameterException.
    validationError: (message) => new InvalidParameterError(message),
    operations: api.operations,
  };
  const service: Service = {
    signingName: logsSection.signingName,
    handle: createDispatcher(declaration, context),
  };
  return { service, api: writer };
}
