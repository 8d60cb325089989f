import { iamPolicyArn, iamRoleArn } from "../arn.ts";
import { decodeOffsetToken, encodeOffsetToken, pageFrom } from "../paging.ts";
import type { QueryParams } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { IamError, IamValidationError } from "./errors.ts";
import type { IamStore, ManagedPolicyView, RoleState, Tag } from "./store.ts";

/**
 * The IAM Query API: one handler per action, each returning the `<ActionResult>` body (or undefined for
 * actions whose response has no result element), plus the resource ARN a role caller needs permission on.
 */

export interface IamAction {
  /** Resource for IAM authorization of role callers. */
  resource(params: QueryParams, store: IamStore, accountId: string): string;
  run(params: QueryParams, store: IamStore): Record<string, unknown> | undefined;
}

/** Policy documents travel URL-encoded in IAM responses (RFC 3986, so `*` is `%2A`), as AWS sends them. */
export function encodePolicyDocument(document: string): string {
  return encodeURIComponent(document).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

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
    ...(withTags && role.tags.length > 0 ? { Tags: tagsXml(role.tags) } : {}),
  };
}

function tagsXml(tags: Tag[]): Record<string, unknown> {
  return { member: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })) };
}

function policyXml(policy: ManagedPolicyView): Record<string, unknown> {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: policy.isAttachable,
    ...(policy.description === undefined ? {} : { Description: policy.description }),
    CreateDate: policy.createDate,
    UpdateDate: policy.updateDate,
  };
}

/**
 * `Marker`/`MaxItems` paging for list actions; the marker is an opaque offset.
 */
function page<T>(items: T[], params: QueryParams): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const maxItems = params.integer("MaxItems") ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw new IamValidationError(validationMessage("maxItems", undefined, constraint.between(1, 1000)));
  }
  const marker = params.get("Marker");
  const start = marker === undefined ? 0 : decodeOffsetToken(marker);
  if (start === undefined) throw new IamError(400, "InvalidInput", "Invalid Marker.");
  const paged = pageFrom(items, start, maxItems);
  return paged.next === undefined
    ? { items: paged.items, IsTruncated: false }
    : { items: paged.items, IsTruncated: true, Marker: encodeOffsetToken(paged.next) };
}

function listResult<T>(
  name: string,
  items: T[],
  params: QueryParams,
  toXml: (item: T) => unknown,
): Record<string, unknown> {
  const paged = page(items, params);
  return {
    [name]: { member: paged.items.map(toXml) },
    IsTruncated: paged.IsTruncated,
    ...(paged.Marker === undefined ? {} : { Marker: paged.Marker }),
  };
}

const roleResource = (params: QueryParams, store: IamStore, accountId: string): string => {
  const name = params.get("RoleName") ?? "";
  return store.findRole(name)?.arn ?? iamRoleArn(accountId, name);
};
const policyResource = (params: QueryParams): string => params.get("PolicyArn") ?? "*";
const anyResource = (): string => "*";

/** The actions this engine serves, by `Action` name. */
export const iamActions: Record<string, IamAction> = {
  CreateRole: {
    resource: (params, _store, accountId) =>
      iamRoleArn(accountId, params.get("RoleName") ?? "", params.get("Path")),
    run: (params, store) => {
      const maxSessionDuration = params.integer("MaxSessionDuration");
      const description = params.get("Description");
      const path = params.get("Path");
      const role = store.createRole({
        roleName: params.required("RoleName"),
        assumeRolePolicyDocument: params.required("AssumeRolePolicyDocument"),
        tags: params.tags(),
        ...(path === undefined ? {} : { path }),
        ...(description === undefined ? {} : { description }),
        ...(maxSessionDuration === undefined ? {} : { maxSessionDuration }),
      });
      return { Role: roleXml(role, true) };
    },
  },
  GetRole: {
    resource: roleResource,
    run: (params, store) => ({ Role: roleXml(store.getRole(params.required("RoleName")), true) }),
  },
  DeleteRole: {
    resource: roleResource,
    run: (params, store) => {
      store.deleteRole(params.required("RoleName"));
      return undefined;
    },
  },
  ListRoles: {
    resource: anyResource,
    run: (params, store) =>
      listResult("Roles", store.listRoles(params.get("PathPrefix")), params, (role) => roleXml(role, false)),
  },
  UpdateAssumeRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      store.updateAssumeRolePolicy(params.required("RoleName"), params.required("PolicyDocument"));
      return undefined;
    },
  },
  UpdateRole: {
    resource: roleResource,
    run: (params, store) => {
      const description = params.get("Description");
      const role = store.getRole(params.required("RoleName"));
      if (description !== undefined) store.updateRoleDescription(role.roleName, description);
      return {};
    },
  },
  UpdateRoleDescription: {
    resource: roleResource,
    run: (params, store) => ({
      Role: roleXml(
        store.updateRoleDescription(params.required("RoleName"), params.required("Description")),
        true,
      ),
    }),
  },
  TagRole: {
    resource: roleResource,
    run: (params, store) => {
      store.tagRole(params.required("RoleName"), params.tags());
      return undefined;
    },
  },
  UntagRole: {
    resource: roleResource,
    run: (params, store) => {
      store.untagRole(params.required("RoleName"), params.list("TagKeys"));
      return undefined;
    },
  },
  ListRoleTags: {
    resource: roleResource,
    run: (params, store) =>
      listResult("Tags", store.getRole(params.required("RoleName")).tags, params, (tag) => ({
        Key: tag.Key,
        Value: tag.Value,
      })),
  },
  PutRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      store.putRolePolicy(
        params.required("RoleName"),
        params.required("PolicyName"),
        params.required("PolicyDocument"),
      );
      return undefined;
    },
  },
  GetRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      const roleName = params.required("RoleName");
      const policyName = params.required("PolicyName");
      const role = store.getRole(roleName);
      return {
        RoleName: role.roleName,
        PolicyName: policyName,
        PolicyDocument: encodePolicyDocument(store.getRolePolicy(roleName, policyName)),
      };
    },
  },
  DeleteRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      store.deleteRolePolicy(params.required("RoleName"), params.required("PolicyName"));
      return undefined;
    },
  },
  ListRolePolicies: {
    resource: roleResource,
    run: (params, store) =>
      listResult("PolicyNames", store.listRolePolicies(params.required("RoleName")), params, (name) => name),
  },
  AttachRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      store.attachRolePolicy(params.required("RoleName"), params.required("PolicyArn"));
      return undefined;
    },
  },
  DetachRolePolicy: {
    resource: roleResource,
    run: (params, store) => {
      store.detachRolePolicy(params.required("RoleName"), params.required("PolicyArn"));
      return undefined;
    },
  },
  ListAttachedRolePolicies: {
    resource: roleResource,
    run: (params, store) =>
      listResult(
        "AttachedPolicies",
        store.listAttachedRolePolicies(params.required("RoleName"), params.get("PathPrefix")),
        params,
        (policy) => ({ PolicyName: policy.policyName, PolicyArn: policy.arn }),
      ),
  },
  CreatePolicy: {
    resource: (params, _store, accountId) =>
      iamPolicyArn(accountId, params.get("PolicyName") ?? "", params.get("Path")),
    run: (params, store) => {
      const path = params.get("Path");
      const description = params.get("Description");
      const policy = store.createPolicy({
        policyName: params.required("PolicyName"),
        document: params.required("PolicyDocument"),
        ...(path === undefined ? {} : { path }),
        ...(description === undefined ? {} : { description }),
      });
      return { Policy: policyXml(policy) };
    },
  },
  GetPolicy: {
    resource: policyResource,
    run: (params, store) => ({ Policy: policyXml(store.getPolicy(params.required("PolicyArn"))) }),
  },
  GetPolicyVersion: {
    resource: policyResource,
    run: (params, store) => {
      const versionId = params.required("VersionId");
      const version = store.getPolicyVersion(params.required("PolicyArn"), versionId);
      return {
        PolicyVersion: {
          Document: encodePolicyDocument(version.document),
          VersionId: versionId,
          IsDefaultVersion: true,
          CreateDate: version.createDate,
        },
      };
    },
  },
  DeletePolicy: {
    resource: policyResource,
    run: (params, store) => {
      store.deletePolicy(params.required("PolicyArn"));
      return undefined;
    },
  },
  ListPolicies: {
    resource: anyResource,
    run: (params, store) => {
      const scope = params.get("Scope") ?? "All";
      if (scope !== "All" && scope !== "AWS" && scope !== "Local") {
        throw new IamValidationError(
          validationMessage("scope", scope, constraint.enumOf(["All", "AWS", "Local"])),
        );
      }
      const policies = store.listPolicies(
        scope,
        params.boolean("OnlyAttached") ?? false,
        params.get("PathPrefix"),
      );
      return listResult("Policies", policies, params, policyXml);
    },
  },
};
