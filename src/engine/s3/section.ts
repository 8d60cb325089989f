import { MiB } from "../request-limits.ts";
import type { BodyLimit, ServiceSection } from "../service/section.ts";
import type { RequestHead } from "../types.ts";
import { routePathOf } from "./addressing.ts";
import { keepIntactBuckets } from "./storage/store.ts";

/** S3 requests with an XML body (DeleteObjects of 1,000 keys, CompleteMultipartUpload of 10,000 parts). */
const s3XmlRequestBytes = 10 * MiB;
/** S3's largest single PUT: 5 GiB. */
export const s3MaxPutBytes = 5 * 1024 * MiB;

/** Object writes stream to the blob store; any other body (DeleteObjects, CompleteMultipartUpload ...) is XML. */
function s3BodyLimit(head: RequestHead): BodyLimit {
  // An object's path (`/<bucket>/<key>`), resolved once for the request (the dispatcher routes the same).
  if (
    head.method === "PUT" &&
    head.headers["x-amz-copy-source"] === undefined &&
    routePathOf(head).indexOf("/", 1) !== -1
  )
    return { stream: true };
  return {
    bytes: s3XmlRequestBytes,
    status: 400,
    code: "MaxMessageLengthExceeded",
    message: "Your request was too big.",
  };
}

/** S3's service-level section (service/section.ts): REST-XML, and the fallback for requests no service claims. */
export const s3Section: ServiceSection = {
  signingName: "s3",
  protocols: { restXml: {} },
  fallback: true,
  // A presigned URL is S3's alone, as on AWS: its preflight and answers carry the bucket's CORS rules only.
  ownsCors: (head) => head.query.has("X-Amz-Signature"),
  bodyLimit: s3BodyLimit,
  throttling: { status: 503, code: "SlowDown", message: "Please reduce your request rate." },
  internalErrorCode: "InternalError",
  storage: { directory: "s3", journal: { keepIntact: keepIntactBuckets } },
};
