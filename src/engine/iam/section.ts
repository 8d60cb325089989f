import { queryRequestBytes, tooLarge } from "../request-limits.ts";
import { readOnlyQueryActions, type ServiceSection } from "../service/section.ts";

/** IAM's service-level section (service/section.ts): query protocol, API version 2010-05-08. */
export const iamSection: ServiceSection = {
  signingName: "iam",
  protocols: { query: { version: "2010-05-08", namespace: "https://iam.amazonaws.com/doc/2010-05-08/" } },
  bodyLimit: () => tooLarge(queryRequestBytes, "IAM", "RequestEntityTooLarge"),
  readOnlyOperations: readOnlyQueryActions,
  throttling: { status: 400, code: "ThrottlingException" },
  internalErrorCode: "InternalFailure",
  storage: { directory: "iam", journal: {} },
};
