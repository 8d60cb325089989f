import { ServiceError } from "../service/errors.ts";

/**
 * `MalformedPolicyDocument` (400): the policy JSON or its grammar is invalid. IAM answers it as it is; S3 words
 * its own (`MalformedPolicy`) for bucket policies.
 */
export class MalformedPolicyDocumentError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, "MalformedPolicyDocument", message, options);
    this.name = "MalformedPolicyDocumentError";
  }
}
