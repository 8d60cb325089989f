import * as z from "zod";
import { iamPolicyArn, iamRoleArn } from "../arn.ts";
import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import { type AnyOperation, operation } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { IamError, IamValidationError } from "./errors.ts";
import type { IamStore, ManagedPolicyView, RoleState, Tag } from "./store.ts";
import { tagKeysInput, tagsInput } from "./tags.ts";

/**
 * The IAM Query API: one declared operation per action, each with its input schema, the resource ARN a role
 * caller needs `iam:<Action>` on, and a handler returning the `<ActionResult>` body (or undefined for actions
 * whose response has no result element).
 */

/** A required member: missing or empty is "Value null ... must not be null", as IAM answers. */
const required = z.preprocess((value) => (value === "" ? undefined : value), z.string());
const optional = z.string().optional();
/** `MaxItems`/`Marker`, read by `page` (IAM words a bad MaxItems without echoing it). */
const paging = { MaxItems: optional, Marker: optional };

/** Policy documents travel URL-encoded in IAM responses (RFC 3986, so `*` is `%2A`), as AWS sends them. */
function encodePolicyDocument(document: string): string {
  return encodeURIComponent(document).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** GetRole-style detail (tags, last use) or the ListRoles summary. */
function roleXml(role: RoleState, withTags: boolean): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodePolicyDocument(role.assumeRolePolicyDocument),
    ...(role.description === undefined ? {} : { Description: role.description }),
    MaxSessionDuration: role.maxSessionDuration,
    ...(role.permissionsBoundary === undefined
      ? {}
      : {
          PermissionsBoundary: {
            PermissionsBoundaryType: "Policy",
            PermissionsBoundaryArn: role.permissionsBoundary,
          },
        }),
    ...(withTags && role.tags.length > 0 ? { Tags: tagsXml(role.tags) } : {}),
    // IAM answers RoleLastUsed on GetRole, empty until the role's credentials are used.
    ...(withTags
      ? {
          RoleLastUsed:
            role.lastUsedDate === undefined
              ? {}
              : { LastUsedDate: role.lastUsedDate, Region: role.lastUsedRegion },
        }
      : {}),
  };
}

function tagsXml(tags: Tag[]): Record<string, unknown> {
  return { member: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })) };
}

/** A managed policy as GetPolicy/ListPolicies show it; CreatePolicy's answer has no Description (`created`). */
function policyXml(
  policy: ManagedPolicyView,
  shown: "created" | "got" | "listed" = "got",
): Record<string, unknown> {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: policy.permissionsBoundaryUsageCount,
    IsAttachable: policy.isAttachable,
    ...(policy.description === undefined || shown === "created" ? {} : { Description: policy.description }),
    CreateDate: policy.createDate,
    UpdateDate: policy.updateDate,
    // GetPolicy always answers Tags (empty when none); CreatePolicy only the tags it was given; listings none.
    ...(shown === "got" || (shown === "created" && (policy.tags?.length ?? 0) > 0)
      ? { Tags: tagsXml(policy.tags ?? []) }
      : {}),
  };
}

/**
 * `Marker`/`MaxItems` paging for list actions; the marker is an opaque offset.
 */
function page<T>(
  items: T[],
  input: { MaxItems?: string | undefined; Marker?: string | undefined },
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const maxItems = integerParameter("MaxItems", input.MaxItems) ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw new IamValidationError(validationMessage("maxItems", undefined, constraint.between(1, 1000)));
  }
  const marker = input.Marker;
  const start = marker === undefined ? 0 : decodeOffsetToken(marker);
  if (start === undefined) throw new IamError(400, "InvalidInput", "Invalid Marker.");
  const paged = pageFrom(items, start, maxItems);
  return paged.next === undefined
    ? { items: paged.items, IsTruncated: false }
    : { items: paged.items, IsTruncated: true, Marker: encodeOffsetToken(paged.next) };
}

function integerParameter(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed))
    throw new IamValidationError(`Value '${value}' at '${name}' is not a valid integer`);
  return parsed;
}

function listResult<T>(
  name: string,
  items: T[],
  input: { MaxItems?: string | undefined; Marker?: string | undefined },
  toXml: (item: T) => unknown,
): Record<string, unknown> {
  const paged = page(items, input);
  return {
    [name]: { member: paged.items.map(toXml) },
    IsTruncated: paged.IsTruncated,
    ...(paged.Marker === undefined ? {} : { Marker: paged.Marker }),
  };
}

/**
 * The actions this engine serves, over one store; role actions are checked on the role's ARN, policy actions on
 * the policy's, listings on `*`.
 */
export function iamOperations(store: IamStore, accountId: string): AnyOperation[] {
  const roleArn = (input: { RoleName?: string | undefined }): string => {
    const name = input.RoleName ?? "";
    return store.findRole(name)?.arn ?? iamRoleArn(accountId, name);
  };
  const policyArn = (input: { PolicyArn?: string | undefined }): string => input.PolicyArn ?? "*";
  const onRole = z.object({ RoleName: required });
  const onRolePolicy = z.object({ RoleName: required, PolicyName: required });
  const onPolicy = z.object({ PolicyArn: required });
  const tags = tagsInput.default([]);
  return [
    operation({
      name: "CreateRole",
      input: z.object({
        RoleName: required,
        AssumeRolePolicyDocument: required,
        Path: optional,
        Description: optional,
        MaxSessionDuration: optional,
        PermissionsBoundary: optional,
        Tags: tags,
      }),
      resource: (input) => iamRoleArn(accountId, input.RoleName, input.Path),
      handler: (input) => {
        const maxSessionDuration = integerParameter("MaxSessionDuration", input.MaxSessionDuration);
        const role = store.createRole({
          roleName: input.RoleName,
          assumeRolePolicyDocument: input.AssumeRolePolicyDocument,
          tags: input.Tags,
          ...(input.Path === undefined ? {} : { path: input.Path }),
          ...(input.Description === undefined ? {} : { description: input.Description }),
          ...(maxSessionDuration === undefined ? {} : { maxSessionDuration }),
          ...(input.PermissionsBoundary === undefined
            ? {}
            : { permissionsBoundary: input.PermissionsBoundary }),
        });
        return { Role: roleXml(role, true) };
      },
    }),
    operation({
      name: "GetRole",
      input: onRole,
      resource: roleArn,
      handler: (input) => ({ Role: roleXml(store.getRole(input.RoleName), true) }),
    }),
    operation({
      name: "DeleteRole",
      input: onRole,
      resource: roleArn,
      handler: (input) => {
        store.deleteRole(input.RoleName);
        return undefined;
      },
    }),
    operation({
      name: "ListRoles",
      input: z.object({ PathPrefix: optional, ...paging }),
      handler: (input) =>
        listResult("Roles", store.listRoles(input.PathPrefix), input, (role) => roleXml(role, false)),
    }),
    operation({
      name: "UpdateAssumeRolePolicy",
      input: z.object({ RoleName: required, PolicyDocument: required }),
      resource: roleArn,
      handler: (input) => {
        store.updateAssumeRolePolicy(input.RoleName, input.PolicyDocument);
        return undefined;
      },
    }),
    operation({
      name: "UpdateRole",
      input: z.object({ RoleName: required, Description: optional, MaxSessionDuration: optional }),
      resource: roleArn,
      handler: (input) => {
        const role = store.getRole(input.RoleName);
        const maxSessionDuration = integerParameter("MaxSessionDuration", input.MaxSessionDuration);
        if (maxSessionDuration !== undefined)
          store.updateMaxSessionDuration(role.roleName, maxSessionDuration);
        if (input.Description !== undefined) store.updateRoleDescription(role.roleName, input.Description);
        return {};
      },
    }),
    operation({
      name: "UpdateRoleDescription",
      input: z.object({ RoleName: required, Description: required }),
      resource: roleArn,
      handler: (input) => ({
        Role: roleXml(store.updateRoleDescription(input.RoleName, input.Description), true),
      }),
    }),
    operation({
      name: "TagRole",
      input: z.object({ RoleName: required, Tags: tags }),
      resource: roleArn,
      handler: (input) => {
        store.tagRole(input.RoleName, input.Tags);
        return undefined;
      },
    }),
    operation({
      name: "UntagRole",
      input: z.object({ RoleName: required, TagKeys: tagKeysInput }),
      resource: roleArn,
      handler: (input) => {
        store.untagRole(input.RoleName, input.TagKeys);
        return undefined;
      },
    }),
    operation({
      name: "PutRolePermissionsBoundary",
      input: z.object({ RoleName: required, PermissionsBoundary: required }),
      resource: roleArn,
      handler: (input) => {
        store.putRolePermissionsBoundary(input.RoleName, input.PermissionsBoundary);
        return undefined;
      },
    }),
    operation({
      name: "DeleteRolePermissionsBoundary",
      input: onRole,
      resource: roleArn,
      handler: (input) => {
        store.deleteRolePermissionsBoundary(input.RoleName);
        return undefined;
      },
    }),
    operation({
      name: "ListRoleTags",
      input: z.object({ RoleName: required, ...paging }),
      resource: roleArn,
      handler: (input) =>
        listResult("Tags", store.getRole(input.RoleName).tags, input, (tag) => ({
          Key: tag.Key,
          Value: tag.Value,
        })),
    }),
    operation({
      name: "PutRolePolicy",
      input: z.object({ RoleName: required, PolicyName: required, PolicyDocument: required }),
      resource: roleArn,
      handler: (input) => {
        store.putRolePolicy(input.RoleName, input.PolicyName, input.PolicyDocument);
        return undefined;
      },
    }),
    operation({
      name: "GetRolePolicy",
      input: onRolePolicy,
      resource: roleArn,
      handler: (input) => {
        const role = store.getRole(input.RoleName);
        return {
          RoleName: role.roleName,
          PolicyName: input.PolicyName,
          PolicyDocument: encodePolicyDocument(store.getRolePolicy(input.RoleName, input.PolicyName)),
        };
      },
    }),
    operation({
      name: "DeleteRolePolicy",
      input: onRolePolicy,
      resource: roleArn,
      handler: (input) => {
        store.deleteRolePolicy(input.RoleName, input.PolicyName);
        return undefined;
      },
    }),
    operation({
      name: "ListRolePolicies",
      input: z.object({ RoleName: required, ...paging }),
      resource: roleArn,
      handler: (input) =>
        listResult("PolicyNames", store.listRolePolicies(input.RoleName), input, (name) => name),
    }),
    operation({
      name: "AttachRolePolicy",
      input: z.object({ RoleName: required, PolicyArn: required }),
      resource: roleArn,
      handler: (input) => {
        store.attachRolePolicy(input.RoleName, input.PolicyArn);
        return undefined;
      },
    }),
    operation({
      name: "DetachRolePolicy",
      input: z.object({ RoleName: required, PolicyArn: required }),
      resource: roleArn,
      handler: (input) => {
        store.detachRolePolicy(input.RoleName, input.PolicyArn);
        return undefined;
      },
    }),
    operation({
      name: "ListAttachedRolePolicies",
      input: z.object({ RoleName: required, PathPrefix: optional, ...paging }),
      resource: roleArn,
      handler: (input) =>
        listResult(
          "AttachedPolicies",
          store.listAttachedRolePolicies(input.RoleName, input.PathPrefix),
          input,
          (policy) => ({ PolicyName: policy.policyName, PolicyArn: policy.arn }),
        ),
    }),
    operation({
      name: "CreatePolicy",
      input: z.object({
        PolicyName: required,
        PolicyDocument: required,
        Path: optional,
        Description: optional,
        Tags: tags,
      }),
      resource: (input) => iamPolicyArn(accountId, input.PolicyName, input.Path),
      handler: (input) => {
        const policy = store.createPolicy({
          policyName: input.PolicyName,
          document: input.PolicyDocument,
          ...(input.Path === undefined ? {} : { path: input.Path }),
          ...(input.Description === undefined ? {} : { description: input.Description }),
          tags: input.Tags,
        });
        return { Policy: policyXml(policy, "created") };
      },
    }),
    operation({
      name: "GetPolicy",
      input: onPolicy,
      resource: policyArn,
      handler: (input) => ({ Policy: policyXml(store.getPolicy(input.PolicyArn)) }),
    }),
    operation({
      name: "TagPolicy",
      input: z.object({ PolicyArn: required, Tags: tagsInput }),
      resource: policyArn,
      handler: (input) => {
        store.tagPolicy(input.PolicyArn, input.Tags);
        return undefined;
      },
    }),
    operation({
      name: "UntagPolicy",
      input: z.object({ PolicyArn: required, TagKeys: tagKeysInput }),
      resource: policyArn,
      handler: (input) => {
        store.untagPolicy(input.PolicyArn, input.TagKeys);
        return undefined;
      },
    }),
    operation({
      name: "ListPolicyTags",
      input: z.object({ PolicyArn: required, ...paging }),
      resource: policyArn,
      handler: (input) =>
        listResult("Tags", store.getPolicy(input.PolicyArn).tags ?? [], input, (tag) => ({
          Key: tag.Key,
          Value: tag.Value,
        })),
    }),
    operation({
      name: "GetPolicyVersion",
      input: z.object({ PolicyArn: required, VersionId: required }),
      resource: policyArn,
      handler: (input) => {
        const version = store.getPolicyVersion(input.PolicyArn, input.VersionId);
        return {
          PolicyVersion: {
            Document: encodePolicyDocument(version.document),
            VersionId: input.VersionId,
            IsDefaultVersion: true,
            CreateDate: version.createDate,
          },
        };
      },
    }),
    operation({
      name: "DeletePolicy",
      input: onPolicy,
      resource: policyArn,
      handler: (input) => {
        store.deletePolicy(input.PolicyArn);
        return undefined;
      },
    }),
    operation({
      name: "ListPolicies",
      input: z.object({
        Scope: z.enum(["All", "AWS", "Local"]).default("All"),
        OnlyAttached: optional,
        PathPrefix: optional,
        ...paging,
      }),
      handler: (input) => {
        const onlyAttached = input.OnlyAttached?.toLowerCase() === "true";
        return listResult(
          "Policies",
          store.listPolicies(input.Scope, onlyAttached, input.PathPrefix),
          input,
          (policy) => policyXml(policy, "listed"),
        );
      },
    }),
  ];
}
