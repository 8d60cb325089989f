import { MiB, tooLarge } from "../request-limits.ts";
import type { ServiceSection } from "../service/section.ts";

/** A PutLogEvents batch: at most 1,048,576 bytes, counting each event's UTF-8 message plus 26 bytes. */
export const logsBatchBytes = 1_048_576;
/** The request around a full batch: the JSON adds escapes and names. */
const logsRequestBytes = 2 * MiB;

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
