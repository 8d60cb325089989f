import { logsRequestBytes, tooLarge } from "../request-limits.ts";
import type { ServiceSection } from "../service/section.ts";

/** CloudWatch Logs' service-level section (service/section.ts): JSON 1.1, `Logs_20140328.<Op>`. */
export const logsSection: ServiceSection = {
  signingName: "logs",
  protocols: {
    json: { version: "1.1", targetPrefixes: ["Logs_20140328"], errorPrefix: "com.amazonaws.logs" },
  },
  bodyLimit: (_head, operation) =>
    tooLarge(logsRequestBytes, operation || "unknown", "InvalidParameterException"),
  throttling: { status: 400, code: "ThrottlingException" },
  internalErrorCode: "InternalFailure",
  storage: { directory: "logs", journal: {} },
};
