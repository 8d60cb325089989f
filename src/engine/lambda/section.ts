import { MiB, tooLarge } from "../request-limits.ts";
import { createRouter } from "../service/index.ts";
import type { BodyLimit, ServiceSection } from "../service/section.ts";
import type { RequestHead } from "../types.ts";
import { functionPath, functionsPath } from "./operations.ts";
import { keepIntactFunctions } from "./persistence.ts";

/** Lambda's request limits (AWS quotas page): Invoke payloads, and the zip in CreateFunction/UpdateFunctionCode. */
export const lambdaLimits = {
  syncPayloadBytes: 6 * MiB,
  asyncPayloadBytes: 1 * MiB,
  /** A 50 MB zip, base64-encoded in the JSON request: AWS's own figure for the request. */
  codeRequestBytes: 70_167_211,
  /** Unzipped deployment package, code and layers. */
  unzippedCodeBytes: 262_144_000,
} as const;

/** The routes whose bodies have limits of their own, in the order {@link lambdaBodyLimit} reads them; compiled once. */
const limitedRoutes = createRouter([
  { method: "POST", path: `${functionPath}/invocations` },
  { method: "POST", path: functionsPath },
  { method: "PUT", path: `${functionPath}/code` },
]);

/**
 * Lambda's limits by declared route: Invoke payloads (synchronous or `Event`), and the zip of
 * CreateFunction/UpdateFunctionCode.
 */
function lambdaBodyLimit(head: RequestHead): BodyLimit {
  const match = limitedRoutes(head.method, head.rawPath, head.query, head.headers);
  switch (match !== undefined && "index" in match ? match.index : undefined) {
    case 0:
      return tooLarge(
        head.headers["x-amz-invocation-type"] === "Event"
          ? lambdaLimits.asyncPayloadBytes
          : lambdaLimits.syncPayloadBytes,
        "InvokeFunction",
        "RequestTooLargeException",
      );
    case 1:
      return tooLarge(lambdaLimits.codeRequestBytes, "CreateFunction");
    case 2:
      return tooLarge(lambdaLimits.codeRequestBytes, "UpdateFunctionCode");
    default:
      return tooLarge(lambdaLimits.syncPayloadBytes, "Lambda");
  }
}

/**
 * Lambda's service-level section (service/section.ts): REST-JSON; an unsigned request names it by its function
 * paths, as LocalStack's service router (`custom_path_addressing_rules`) routes `/2015-03-31/functions/`.
 */
export const lambdaSection: ServiceSection = {
  signingName: "lambda",
  protocols: {
    restJson: {
      paths: /^\/((2015-03-31|2019-09-25)\/functions|2017-03-31\/tags)(\/|$)/,
      errorSuffix: "Exception",
    },
  },
  bodyLimit: lambdaBodyLimit,
  throttling: {
    status: 429,
    code: "TooManyRequestsException",
  },
  internalErrorCode: "ServiceException",
  storage: { directory: "lambda", journal: { keepIntact: keepIntactFunctions } },
};
