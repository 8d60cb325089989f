import { restJsonError } from "../service/index.ts";
import type { ServiceResponse } from "../types.ts";
import type { CodeVersion, FunctionRecord } from "./functions.ts";

/**
 * Where GetFunction says a function's code is, and the download that answers that URL. The URL is shaped like
 * the presigned S3 URL AWS returns; its credential scope routes the download back to Lambda, and its file name
 * is the package's SHA-256, so a URL for replaced code answers 404.
 */
export function codeLocation(
  record: Pick<FunctionRecord, "name">,
  code: CodeVersion,
  host: string,
  region: string,
): string {
  const date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const credential = `AKIAEMBEDDEDENGINE00/${date.slice(0, 8)}/${region}/lambda/aws4_request`;
  const query = new URLSearchParams({
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": credential,
    "X-Amz-Date": date,
    "X-Amz-Expires": "600",
    "X-Amz-SignedHeaders": "host",
    "X-Amz-Signature": shaHex(code),
  });
  return `http://${host}/2015-03-31/functions/${encodeURIComponent(record.name)}/package/${shaHex(code)}.zip?${query}`;
}

/**
 * The package a {@link codeLocation} URL names (`file`): $LATEST's or a published version's code, or 404 when the
 * function or that code is gone.
 */
export function codeDownload(record: FunctionRecord | undefined, file: string): ServiceResponse {
  const code = record
    ? [record.code, ...record.versions.map((version) => version.code)].find(
        (candidate) => file === `${shaHex(candidate)}.zip`,
      )
    : undefined;
  if (!code) {
    return restJsonError(
      404,
      "ResourceNotFoundException",
      "The code package does not exist (it may have been replaced).",
    );
  }
  return { status: 200, headers: { "content-type": "application/zip" }, body: code.zip };
}

function shaHex(code: CodeVersion): string {
  return Buffer.from(code.sha256, "base64").toString("hex");
}
