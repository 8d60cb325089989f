import { keepIntactSessionSecret } from "../credentials.ts";
import { queryRequestBytes, tooLarge } from "../request-limits.ts";
import { readOnlyQueryActions, type ServiceSection } from "../service/section.ts";

/** STS's service-level section (service/section.ts): query protocol, API version 2011-06-15. */
export const stsSection: ServiceSection = {
  signingName: "sts",
  protocols: { query: { version: "2011-06-15", namespace: "https://sts.amazonaws.com/doc/2011-06-15/" } },
  bodyLimit: () => tooLarge(queryRequestBytes, "STS", "RequestEntityTooLarge"),
  readOnlyOperations: readOnlyQueryActions,
  throttling: { status: 400, code: "ThrottlingException" },
  internalErrorCode: "InternalFailure",
  // The engine's session secret, with --persist (credentials.ts, persistedSessionSecret).
  storage: { directory: "sts", journal: { keepIntact: keepIntactSessionSecret } },
};
