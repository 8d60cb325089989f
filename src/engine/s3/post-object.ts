import type { IncomingHttpHeaders } from "node:http";
import { s3Arn } from "../arn.ts";
import { headerValue } from "../headers.ts";
import { credentialRefusal } from "../service/section.ts";
import type { Caller } from "../types.ts";
import { assertAclAllowed, authorizeS3 } from "./access.ts";
import { assertKeyLength } from "./addressing.ts";
import { md5Hex } from "./checksums.ts";
import { invalidArgument, S3Error } from "./errors.ts";
import { attributesFromRequest } from "./object-headers.ts";
import { writeHeaders, writeObject } from "./objects.ts";
import { emptyResponse, requireBucket, type S3Handler, type S3Runtime, xmlResponse } from "./runtime.ts";
import { verifyPostPolicySignature } from "./signature.ts";

/** A browser form's fields (names lower-cased, as S3 compares them) and its file. */
export interface PostForm {
  fields: Map<string, string>;
  file: { data: Buffer; filename: string; contentType?: string } | undefined;
}

/** Parses a `multipart/form-data` body with the platform's own parser (undici's `Request.formData`). */
export async function parsePostForm(contentType: string | undefined, body: Buffer): Promise<PostForm> {
  if (!contentType?.toLowerCase().startsWith("multipart/form-data")) {
    throw new S3Error(
      412,
      "PreconditionFailed",
      "At least one of the pre-conditions you specified did not hold",
      { Condition: "Bucket POST must be of the enclosure-type multipart/form-data" },
    );
  }
  let data: FormData;
  try {
    data = await new Request("http://form.invalid/", {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    }).formData();
  } catch (cause) {
    throw new S3Error(
      400,
      "MalformedPOSTRequest",
      "The body of your POST request is not well-formed multipart/form-data.",
      {},
      { cause },
    );
  }
  const fields = new Map<string, string>();
  let file: PostForm["file"];
  for (const [name, value] of data) {
    if (typeof value === "string") {
      fields.set(name.toLowerCase(), value);
    } else if (name.toLowerCase() === "file") {
      file = { data: Buffer.from(await value.arrayBuffer()), filename: value.name };
      if (value.type) file.contentType = value.type;
    } else {
      // A field sent as a file part with a filename (Python `requests` writes `files={"key": ...}` so) is still
      // a field: only the part named `file` is the object, as on S3.
      fields.set(name.toLowerCase(), await value.text());
    }
  }
  return { fields, file };
}

/** Fields the policy need not cover (S3's list). */
const uncoveredFields = new Set(["file", "policy", "x-amz-signature", "signature", "awsaccesskeyid"]);

const policyFailure = (reason: string) =>
  new S3Error(403, "AccessDenied", `Invalid according to Policy: ${reason}`);

/**
 * Checks a POST policy document against the form, as S3 does: not expired, every condition met (exact match,
 * `eq`, `starts-with`, `content-length-range`), and every form field covered by a condition.
 */
export function checkPostPolicy(
  policyBase64: string,
  form: PostForm,
  bucket: string,
  size: number,
  now: number,
): void {
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(policyBase64, "base64").toString("utf8")) as typeof policy;
  } catch (cause) {
    throw Object.assign(invalidArgument("Invalid Policy: Invalid JSON.", "policy", policyBase64), { cause });
  }
  const expiration = typeof policy.expiration === "string" ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration))
    throw invalidArgument("Invalid Policy: Invalid 'expiration' value.", "policy");
  if (now > expiration) throw policyFailure("Policy expired.");
  if (!Array.isArray(policy.conditions))
    throw invalidArgument("Invalid Policy: Policy missing conditions.", "policy");
  const value = (field: string): string | undefined =>
    field === "bucket" ? bucket : form.fields.get(field.toLowerCase());
  const covered = new Set<string>(["bucket"]);
  for (const condition of policy.conditions as unknown[]) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition as [string, unknown, unknown];
      if (String(operator).toLowerCase() === "content-length-range") {
        if (size < Number(first) || size > Number(second)) {
          throw new S3Error(
            400,
            size > Number(second) ? "EntityTooLarge" : "EntityTooSmall",
            size > Number(second)
              ? "Your proposed upload exceeds the maximum allowed size"
              : "Your proposed upload is smaller than the minimum allowed size",
          );
        }
        continue;
      }
      const field = String(first).replace(/^\$/, "").toLowerCase();
      covered.add(field);
      const actual = value(field) ?? "";
      const ok =
        String(operator).toLowerCase() === "eq"
          ? actual === String(second)
          : String(operator).toLowerCase() === "starts-with"
            ? actual.startsWith(String(second))
            : false;
      if (!ok)
        throw policyFailure(`Policy Condition failed: ["${operator}", "$${field}", "${String(second)}"]`);
      continue;
    }
    if (condition && typeof condition === "object") {
      for (const [field, expected] of Object.entries(condition)) {
        covered.add(field.toLowerCase());
        if (value(field) !== String(expected))
          throw policyFailure(`Policy Condition failed: ["eq", "$${field}", "${String(expected)}"]`);
      }
    }
  }
  const extra = [...form.fields.keys()].filter(
    (name) => !uncoveredFields.has(name) && !name.startsWith("x-ignore-") && !covered.has(name),
  );
  if (extra.length > 0) throw policyFailure(`Extra input fields: ${extra.join(", ")}`);
}

/**
 * Who a form upload acts as: the key its `x-amz-credential` field names, with its `x-amz-security-token` field, as a
 * request signed with them would (an expired session is refused as S3 refuses one); an unsigned form, as the request.
 */
function formCaller(runtime: S3Runtime, fields: Map<string, string>, requestCaller: Caller): Caller {
  const accessKeyId = fields.get("x-amz-credential")?.split("/")[0];
  if (!accessKeyId) return requestCaller;
  const caller = runtime.context.credentials.resolveWithToken(
    accessKeyId,
    fields.get("x-amz-security-token"),
  );
  if ("refused" in caller) {
    const refusal = credentialRefusal(caller.refused, "rest-xml");
    throw new S3Error(refusal.status, refusal.code, refusal.message);
  }
  return caller;
}

/**
 * PostObject: a browser-form upload (`<form method=post enctype=multipart/form-data>`). The key may use
 * `${filename}`; a policy document, when sent, is checked with its conditions; the response follows
 * `success_action_redirect` / `success_action_status` (204 by default), and the object announces
 * ObjectCreated:Post.
 */
export const postObject: S3Handler = async (runtime, call) => {
  const { headers, body } = call.request;
  const bucket = requireBucket(runtime, call.bucket);
  const form = await parsePostForm(headerValue(headers, "content-type"), body);
  if (!form.file) throw invalidArgument("POST requires exactly one file upload per request.", "file", "0");
  const keyTemplate = form.fields.get("key");
  if (keyTemplate === undefined)
    throw invalidArgument(
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      "key",
      "",
    );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal `${filename}` placeholder, not a template.
  const key = keyTemplate.replaceAll("${filename}", form.file.filename);
  assertKeyLength(key);
  if (runtime.verifySignatures)
    verifyPostPolicySignature(form.fields, (accessKey) => runtime.context.credentials.secretOf(accessKey));
  const policy = form.fields.get("policy");
  if (policy !== undefined) checkPostPolicy(policy, form, call.bucket, form.file.data.length, Date.now());
  // As on S3, the upload is the form signer's PutObject: their identity policies and the bucket's policy decide.
  const caller = formCaller(runtime, form.fields, call.request.caller);
  authorizeS3(runtime.context, caller, "s3:PutObject", s3Arn(call.bucket, key), {}, bucket.configuration);
  // The form's fields stand for the headers a PUT would carry.
  const formHeaders: IncomingHttpHeaders = {};
  for (const [name, value] of form.fields) {
    if (name === "acl") formHeaders["x-amz-acl"] = value;
    else if (
      name.startsWith("x-amz-") ||
      ["content-type", "cache-control", "content-disposition", "content-encoding", "expires"].includes(name)
    )
      formHeaders[name] = value;
  }
  formHeaders["content-type"] ??= form.file.contentType;
  delete formHeaders["x-amz-signature"];
  assertAclAllowed(formHeaders, bucket.configuration);
  const attributes = attributesFromRequest(formHeaders, bucket.configuration);
  const postCall = { ...call, key };
  const data = form.file.data;
  const segment = await runtime.store.blobs.write(data);
  const stored = { segment, size: data.length, md5: md5Hex(data) };
  const object = await writeObject(runtime, postCall, stored, attributes, "ObjectCreated:Post");
  const location = `${runtime.context.endpoint()}/${call.bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
  const responseHeaders = { ...writeHeaders(object), location };
  const redirect = form.fields.get("success_action_redirect") ?? form.fields.get("redirect");
  if (redirect) {
    const target = new URL(redirect);
    target.searchParams.set("bucket", call.bucket);
    target.searchParams.set("key", key);
    target.searchParams.set("etag", `"${object.etag}"`);
    return emptyResponse(303, { ...responseHeaders, location: target.toString() });
  }
  const status = form.fields.get("success_action_status");
  if (status === "201") {
    return xmlResponse(
      "PostResponse",
      { Location: location, Bucket: call.bucket, Key: key, ETag: `"${object.etag}"` },
      responseHeaders,
      201,
    );
  }
  return emptyResponse(status === "200" ? 200 : 204, responseHeaders);
};
