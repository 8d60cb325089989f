import { ServiceError } from "../service/index.ts";

/**
 * An S3 error response: `<Error><Code/><Message/>…</Error>` with the HTTP status S3 uses. `details` become
 * extra elements (BucketName, Key, ArgumentName, …) as S3 sends them.
 */
export class S3Error extends ServiceError {
  readonly details: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(status, code, message, options);
    this.name = "S3Error";
    this.details = details;
  }
}

export const noSuchBucket = (bucket: string) =>
  new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });

export const noSuchKey = (key: string) =>
  new S3Error(404, "NoSuchKey", "The specified key does not exist.", { Key: key });

export const noSuchUpload = (uploadId: string) =>
  new S3Error(
    404,
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );

export const malformedXml = () =>
  new S3Error(
    400,
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema",
  );

export const invalidArgument = (message: string, name?: string, value?: string) =>
  new S3Error(
    400,
    "InvalidArgument",
    message,
    name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? "" },
  );

export const invalidRequest = (message: string) => new S3Error(400, "InvalidRequest", message);

export const notImplemented = (what: string) =>
  new S3Error(
    501,
    "NotImplemented",
    `A header or query you provided implies functionality that is not implemented: ${what}`,
  );
