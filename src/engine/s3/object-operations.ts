import { type AnyOperation, operation } from "../service/index.ts";
import * as acl from "./acl-operations.ts";
import * as copy from "./copy-object.ts";
import {
  aclPut,
  bypass,
  checksumValues,
  copySourceConditions,
  copySourceSseC,
  eventHolds,
  mfa,
  newerChecksums,
  newObject,
  owner,
  readMembers,
  sseC,
  systemHeaders,
} from "./members.ts";
import * as multipart from "./multipart.ts";
import * as multipartListing from "./multipart-listing.ts";
import * as subresources from "./object-subresources.ts";
import * as objects from "./objects.ts";
import type { S3Runtime } from "./runtime.ts";
import { objectResource, serve, versionedAction, withReadFault } from "./serve.ts";

/**
 * S3's object and multipart operations, each declared once: its route as the AWS SDK's model writes it
 * (`/{Bucket}/{Key+}?uploadId`; a copy is a PutObject or UploadPart carrying `x-amz-copy-source`), its IAM
 * action on the object's ARN (the version action when the request names a version), its members (the shared
 * lists are members.ts's), and its handler.
 */
export function objectOperations(runtime: S3Runtime): AnyOperation[] {
  return [
    operation({
      name: "GetObjectAcl",
      http: { method: "GET", path: "/{Bucket}/{Key+}?acl" },
      action: versionedAction("s3:GetObjectAcl"),
      resource: objectResource,
      members: { handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner] },
      handler: serve(runtime, acl.getObjectAcl),
    }),
    operation({
      name: "PutObjectAcl",
      http: { method: "PUT", path: "/{Bucket}/{Key+}?acl" },
      action: versionedAction("s3:PutObjectAcl"),
      resource: objectResource,
      members: { handled: ["Bucket", "Key", ...aclPut, "RequestPayer", "VersionId"] },
      handler: serve(runtime, acl.putObjectAcl),
    }),
    operation({
      name: "PutObjectTagging",
      http: { method: "PUT", path: "/{Bucket}/{Key+}?tagging" },
      action: versionedAction("s3:PutObjectTagging"),
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "Tagging",
          "VersionId",
          "ContentMD5",
          "ChecksumAlgorithm",
          "RequestPayer",
          ...owner,
        ],
      },
      handler: serve(runtime, subresources.putObjectTagging),
    }),
    operation({
      name: "GetObjectTagging",
      http: { method: "GET", path: "/{Bucket}/{Key+}?tagging" },
      action: versionedAction("s3:GetObjectTagging"),
      resource: objectResource,
      members: { handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner] },
      handler: serve(runtime, subresources.getObjectTagging),
    }),
    operation({
      name: "DeleteObjectTagging",
      http: { method: "DELETE", path: "/{Bucket}/{Key+}?tagging" },
      action: versionedAction("s3:DeleteObjectTagging"),
      resource: objectResource,
      members: { handled: ["Bucket", "Key", "VersionId", ...owner] },
      handler: serve(runtime, subresources.deleteObjectTagging),
    }),
    operation({
      name: "GetObjectAttributes",
      http: { method: "GET", path: "/{Bucket}/{Key+}?attributes" },
      action: versionedAction("s3:GetObjectAttributes"),
      resource: objectResource,
      members: {
        handled: ["Bucket", "Key", "ObjectAttributes", "VersionId", ...sseC, "RequestPayer", ...owner],
        refused: { MaxParts: "x-amz-max-parts", PartNumberMarker: "x-amz-part-number-marker" },
      },
      handler: serve(runtime, subresources.getObjectAttributes),
    }),
    operation({
      name: "PutObject",
      http: { method: "PUT", path: "/{Bucket}/{Key+}" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "Body",
          ...systemHeaders,
          "ContentLength",
          "ContentMD5",
          "ChecksumAlgorithm",
          ...checksumValues,
          "IfMatch",
          "IfNoneMatch",
          ...newObject,
        ],
        refused: { ...newerChecksums, WriteOffsetBytes: "x-amz-write-offset-bytes", ...eventHolds },
      },
      handler: serve(runtime, objects.putObject),
    }),
    operation({
      name: "CopyObject",
      http: { method: "PUT", path: "/{Bucket}/{Key+}", header: "x-amz-copy-source" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "CopySource",
          ...systemHeaders,
          "ChecksumAlgorithm",
          ...copySourceConditions,
          "IfMatch",
          "IfNoneMatch",
          "MetadataDirective",
          "TaggingDirective",
          ...newObject,
          ...copySourceSseC,
          "ExpectedSourceBucketOwner",
        ],
        refused: { AnnotationDirective: "x-amz-object-annotation-directive", ...eventHolds },
      },
      handler: serve(runtime, copy.copyObject),
    }),
    operation({
      name: "GetObject",
      http: { method: "GET", path: "/{Bucket}/{Key+}" },
      action: versionedAction("s3:GetObject"),
      resource: objectResource,
      members: { handled: readMembers },
      handler: serve(runtime, withReadFault(objects.getObject)),
    }),
    operation({
      name: "HeadObject",
      http: { method: "HEAD", path: "/{Bucket}/{Key+}" },
      action: versionedAction("s3:GetObject"),
      resource: objectResource,
      members: { handled: readMembers },
      handler: serve(runtime, withReadFault(objects.headObject)),
    }),
    operation({
      name: "DeleteObject",
      http: { method: "DELETE", path: "/{Bucket}/{Key+}" },
      action: versionedAction("s3:DeleteObject"),
      resource: objectResource,
      members: {
        handled: ["Bucket", "Key", "VersionId", "RequestPayer", ...owner],
        refused: {
          ...mfa,
          ...bypass,
          IfMatch: "if-match",
          IfMatchLastModifiedTime: "x-amz-if-match-last-modified-time",
          IfMatchSize: "x-amz-if-match-size",
        },
      },
      handler: serve(runtime, objects.deleteObject),
    }),
    operation({
      name: "CreateMultipartUpload",
      http: { method: "POST", path: "/{Bucket}/{Key+}?uploads" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: ["Bucket", "Key", ...systemHeaders, ...newObject, "ChecksumAlgorithm", "ChecksumType"],
        refused: eventHolds,
      },
      handler: serve(runtime, multipart.createMultipartUpload),
    }),
    operation({
      name: "UploadPart",
      http: { method: "PUT", path: "/{Bucket}/{Key+}?partNumber&uploadId" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "PartNumber",
          "UploadId",
          "Body",
          "ContentLength",
          "ContentMD5",
          "ChecksumAlgorithm",
          ...checksumValues,
          ...sseC,
          "RequestPayer",
          ...owner,
        ],
        refused: newerChecksums,
      },
      handler: serve(runtime, multipart.uploadPart),
    }),
    operation({
      name: "UploadPartCopy",
      http: { method: "PUT", path: "/{Bucket}/{Key+}?partNumber&uploadId", header: "x-amz-copy-source" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "CopySource",
          "PartNumber",
          "UploadId",
          ...copySourceConditions,
          "CopySourceRange",
          ...sseC,
          ...copySourceSseC,
          "RequestPayer",
          ...owner,
          "ExpectedSourceBucketOwner",
        ],
      },
      handler: serve(runtime, multipart.uploadPartCopy),
    }),
    operation({
      name: "CompleteMultipartUpload",
      http: { method: "POST", path: "/{Bucket}/{Key+}?uploadId" },
      action: "s3:PutObject",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "UploadId",
          "MultipartUpload",
          ...checksumValues,
          "ChecksumType",
          "RequestPayer",
          ...owner,
          "IfMatch",
          "IfNoneMatch",
          ...sseC,
        ],
        refused: { ...newerChecksums, MpuObjectSize: "x-amz-mp-object-size" },
      },
      handler: serve(runtime, multipart.completeMultipartUpload),
    }),
    operation({
      name: "AbortMultipartUpload",
      http: { method: "DELETE", path: "/{Bucket}/{Key+}?uploadId" },
      action: "s3:AbortMultipartUpload",
      resource: objectResource,
      members: {
        handled: ["Bucket", "Key", "UploadId", "RequestPayer", ...owner],
        refused: { IfMatchInitiatedTime: "x-amz-if-match-initiated-time" },
      },
      handler: serve(runtime, multipart.abortMultipartUpload),
    }),
    operation({
      name: "ListParts",
      http: { method: "GET", path: "/{Bucket}/{Key+}?uploadId" },
      action: "s3:ListMultipartUploadParts",
      resource: objectResource,
      members: {
        handled: [
          "Bucket",
          "Key",
          "UploadId",
          "MaxParts",
          "PartNumberMarker",
          "RequestPayer",
          ...owner,
          ...sseC,
        ],
      },
      handler: serve(runtime, multipartListing.listParts),
    }),
  ];
}
