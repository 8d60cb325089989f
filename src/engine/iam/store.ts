import { randomInt } from "node:crypto";
import { iamPolicyArn, iamRoleArn } from "../arn.ts";
import { type PolicyDocument, parseNewPolicyDocument, storedPolicyDocument } from "../policy/document.ts";
import type { DurableStore } from "../store/index.ts";
import type { Journal } from "../store/journal.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import type { IamRoleRecord } from "./contract.ts";
import {
  DeleteConflictError,
  EntityAlreadyExistsError,
  IamError,
  IamValidationError,
  NoSuchEntityError,
} from "./errors.ts";
import { awsManagedPolicies, awsManagedPolicy } from "./managed-policies.ts";
import { mergeTags, removeTags } from "./tags.ts";

/** IAM state: roles with their inline and attached policies, and customer managed policies. */

export interface Tag {
  Key: string;
  Value: string;
}

export interface RoleState {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  description?: string;
  /** As submitted (AWS returns the caller's text, URL-encoded). */
  assumeRolePolicyDocument: string;
  createDate: string;
  maxSessionDuration: number;
  tags: Tag[];
  inlinePolicies: Record<string, string>;
  attachedPolicyArns: string[];
  /** A managed policy's ARN that caps what the role's own policies can allow. */
  permissionsBoundary?: string;
  /** When (and in which region) the role's credentials were last used, as GetRole's RoleLastUsed shows. */
  lastUsedDate?: string;
  lastUsedRegion?: string;
}

export interface ManagedPolicyState {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  description?: string;
  createDate: string;
  updateDate: string;
  defaultVersionId: string;
  document: string;
  tags?: Tag[];
}

/** A managed policy as GetPolicy shows it (AWS or customer managed). */
export interface ManagedPolicyView extends ManagedPolicyState {
  attachmentCount: number;
  permissionsBoundaryUsageCount: number;
  isAttachable: true;
}

interface PersistedState {
  version: 1;
  roles: RoleState[];
  policies: ManagedPolicyState[];
}

export interface CreateRoleInput {
  roleName: string;
  assumeRolePolicyDocument: string;
  path?: string;
  description?: string;
  maxSessionDuration?: number;
  tags?: Tag[];
  permissionsBoundary?: string;
}

function checkMaxSessionDuration(seconds: number): void {
  if (seconds < 3600 || seconds > 43200) {
    throw new IamValidationError(
      validationMessage("maxSessionDuration", undefined, constraint.between(3600, 43200)),
    );
  }
}

const namePattern = /^[\w+=,.@-]+$/;
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Role and policy names are unique case-insensitively on IAM, and looked up that way. */
function nameKey(name: string): string {
  return name.toLowerCase();
}

/** `AROA…`/`ANPA…` identifiers: a four-letter prefix and 17 base32 characters, as IAM issues them. */
function newUniqueId(prefix: string): string {
  let id = prefix;
  for (let index = 0; index < 17; index++) id += idAlphabet[randomInt(idAlphabet.length)];
  return id;
}

/**
 * In-memory IAM state, kept with a durable store in its IAM journal: every change appends the whole state (it is
 * small), and the journal's compaction keeps the last. Methods throw IamError subclasses with the codes IAM uses.
 */
/** One IAM journal record: the whole state after a change. */
interface IamJournalRecord {
  t: "state";
  state: PersistedState;
}

export class IamStore {
  readonly #accountId: string;
  #journal: Journal<IamJournalRecord> | undefined;
  readonly #roles = new Map<string, RoleState>();
  readonly #policies = new Map<string, ManagedPolicyState>();

  constructor(accountId: string) {
    this.#accountId = accountId;
  }

  /** A store restored from, and kept in, the durable store's IAM journal (in memory without one). */
  static async open(accountId: string, durable: DurableStore | undefined): Promise<IamStore> {
    const store = new IamStore(accountId);
    if (!durable) return store;
    store.#journal = await durable.open<IamJournalRecord>(
      "iam",
      (records) => {
        const last = records.at(-1);
        if (last) store.#load(last.state);
        return [store.#state()];
      },
      { live: () => [store.#state()], minAppends: 100 },
    );
    return store;
  }

  createRole(input: CreateRoleInput): RoleState {
    validateName(input.roleName, "roleName", 64);
    const path = input.path ?? "/";
    validatePath(path);
    if (input.description !== undefined && input.description.length > 1000) {
      throw new IamValidationError(validationMessage("description", undefined, constraint.maxLength(1000)));
    }
    const maxSessionDuration = input.maxSessionDuration ?? 3600;
    checkMaxSessionDuration(maxSessionDuration);
    parseNewPolicyDocument(input.assumeRolePolicyDocument, "trust");
    const tags = mergeTags([], input.tags ?? [], "TagsPerRole");
    if (input.permissionsBoundary !== undefined) this.#boundaryPolicy(input.permissionsBoundary);
    if (this.#roles.has(nameKey(input.roleName))) {
      throw new EntityAlreadyExistsError(`Role with name ${input.roleName} already exists.`);
    }
    const role: RoleState = {
      roleName: input.roleName,
      roleId: newUniqueId("AROA"),
      arn: iamRoleArn(this.#accountId, input.roleName, path),
      path,
      ...(input.description === undefined ? {} : { description: input.description }),
      assumeRolePolicyDocument: input.assumeRolePolicyDocument,
      createDate: isoNow(),
      maxSessionDuration,
      tags,
      inlinePolicies: {},
      attachedPolicyArns: [],
      ...(input.permissionsBoundary === undefined ? {} : { permissionsBoundary: input.permissionsBoundary }),
    };
    this.#roles.set(nameKey(role.roleName), role);
    this.#save();
    return role;
  }

  /** The role, or NoSuchEntity. */
  getRole(roleName: string): RoleState {
    const role = this.#roles.get(nameKey(roleName));
    if (!role) throw new NoSuchEntityError(`The role with name ${roleName} cannot be found.`);
    return role;
  }

  /** Looks a role up by name or ARN without throwing; an ARN must match exactly (path included). */
  findRole(roleNameOrArn: string): RoleState | undefined {
    if (!roleNameOrArn.startsWith("arn:")) return this.#roles.get(nameKey(roleNameOrArn));
    const name = roleNameOrArn.split("/").pop() ?? "";
    const role = this.#roles.get(nameKey(name));
    return role && role.arn === roleNameOrArn ? role : undefined;
  }

  deleteRole(roleName: string): void {
    const role = this.getRole(roleName);
    if (Object.keys(role.inlinePolicies).length > 0 || role.attachedPolicyArns.length > 0) {
      throw new DeleteConflictError("Cannot delete entity, must delete policies first.");
    }
    this.#roles.delete(nameKey(roleName));
    this.#save();
  }

  /** Roles sorted by name, filtered by path prefix. */
  listRoles(pathPrefix = "/"): RoleState[] {
    return [...this.#roles.values()]
      .filter((role) => role.path.startsWith(pathPrefix))
      .sort((a, b) => compareNames(a.roleName, b.roleName));
  }

  updateAssumeRolePolicy(roleName: string, document: string): void {
    const role = this.getRole(roleName);
    parseNewPolicyDocument(document, "trust");
    role.assumeRolePolicyDocument = document;
    this.#save();
  }

  updateRoleDescription(roleName: string, description: string): RoleState {
    const role = this.getRole(roleName);
    role.description = description;
    this.#save();
    return role;
  }

  /** UpdateRole's MaxSessionDuration: 3600 to 43200 seconds, as CreateRole takes it. */
  updateMaxSessionDuration(roleName: string, maxSessionDuration: number): void {
    const role = this.getRole(roleName);
    checkMaxSessionDuration(maxSessionDuration);
    role.maxSessionDuration = maxSessionDuration;
    this.#save();
  }

  tagRole(roleName: string, tags: Tag[]): void {
    const role = this.getRole(roleName);
    role.tags = mergeTags(role.tags, tags, "TagsPerRole");
    this.#save();
  }

  untagRole(roleName: string, keys: string[]): void {
    const role = this.getRole(roleName);
    role.tags = removeTags(role.tags, keys);
    this.#save();
  }

  /** Sets the role's permissions boundary: a managed policy that must exist. */
  putRolePermissionsBoundary(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    this.#boundaryPolicy(policyArn);
    role.permissionsBoundary = policyArn;
    this.#save();
  }

  deleteRolePermissionsBoundary(roleName: string): void {
    const role = this.getRole(roleName);
    delete role.permissionsBoundary;
    this.#save();
  }

  /** The boundary policy of a role, parsed, when it has one (evaluated beside its own policies). */
  permissionsBoundaryOf(roleArn: string): PolicyDocument | undefined {
    const role = this.findRole(roleArn);
    if (role?.permissionsBoundary === undefined) return undefined;
    const document = (
      this.#policies.get(role.permissionsBoundary) ?? awsManagedPolicy(role.permissionsBoundary)
    )?.document;
    return document === undefined ? undefined : storedPolicyDocument(document, "identity");
  }

  /**
   * Records a use of the role's credentials for RoleLastUsed. Kept in memory and written with the next change:
   * AWS, too, reports last use only eventually (its tracking period), and a write per request would cost the
   * hot path a file write.
   */
  noteRoleUsed(roleArn: string, region: string | undefined): void {
    const role = this.findRole(roleArn);
    if (!role) return;
    role.lastUsedDate = isoNow();
    if (region !== undefined) role.lastUsedRegion = region;
  }

  #boundaryPolicy(policyArn: string): void {
    if (!this.#policies.has(policyArn) && !awsManagedPolicy(policyArn))
      throw new IamError(400, "InvalidInput", `ARN ${policyArn} is not valid.`);
  }

  tagPolicy(policyArn: string, tags: Tag[]): void {
    const policy = this.#customerPolicy(policyArn);
    policy.tags = mergeTags(policy.tags ?? [], tags, "TagsPerPolicy");
    this.#save();
  }

  untagPolicy(policyArn: string, keys: string[]): void {
    const policy = this.#customerPolicy(policyArn);
    policy.tags = removeTags(policy.tags ?? [], keys);
    this.#save();
  }

  #customerPolicy(policyArn: string): ManagedPolicyState {
    const policy = this.#policies.get(policyArn);
    if (!policy) throw new NoSuchEntityError(`Policy ${policyArn} does not exist or is not attachable.`);
    return policy;
  }

  putRolePolicy(roleName: string, policyName: string, document: string): void {
    validateName(policyName, "policyName", 128);
    const role = this.getRole(roleName);
    parseNewPolicyDocument(document, "identity");
    role.inlinePolicies[policyName] = document;
    this.#save();
  }

  getRolePolicy(roleName: string, policyName: string): string {
    const document = this.getRole(roleName).inlinePolicies[policyName];
    if (document === undefined) {
      throw new NoSuchEntityError(`The role policy with name ${policyName} cannot be found.`);
    }
    return document;
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    const role = this.getRole(roleName);
    if (role.inlinePolicies[policyName] === undefined) {
      throw new NoSuchEntityError(`The role policy with name ${policyName} cannot be found.`);
    }
    delete role.inlinePolicies[policyName];
    this.#save();
  }

  listRolePolicies(roleName: string): string[] {
    return Object.keys(this.getRole(roleName).inlinePolicies).sort(compareNames);
  }

  attachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    this.getPolicy(policyArn);
    if (!role.attachedPolicyArns.includes(policyArn)) role.attachedPolicyArns.push(policyArn);
    this.#save();
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    if (!role.attachedPolicyArns.includes(policyArn)) {
      throw new NoSuchEntityError(`Policy ${policyArn} was not found.`);
    }
    role.attachedPolicyArns = role.attachedPolicyArns.filter((arn) => arn !== policyArn);
    this.#save();
  }

  listAttachedRolePolicies(roleName: string, pathPrefix = "/"): ManagedPolicyView[] {
    return this.getRole(roleName)
      .attachedPolicyArns.map((arn) => this.getPolicy(arn))
      .filter((policy) => policy.path.startsWith(pathPrefix));
  }

  createPolicy(input: {
    policyName: string;
    document: string;
    path?: string;
    description?: string;
    tags?: Tag[];
  }): ManagedPolicyView {
    validateName(input.policyName, "policyName", 128);
    const path = input.path ?? "/";
    validatePath(path);
    parseNewPolicyDocument(input.document, "identity");
    const tags = mergeTags([], input.tags ?? [], "TagsPerPolicy");
    const arn = iamPolicyArn(this.#accountId, input.policyName, path);
    if (
      [...this.#policies.values()].some((policy) => nameKey(policy.policyName) === nameKey(input.policyName))
    ) {
      throw new EntityAlreadyExistsError(
        `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`,
      );
    }
    const now = isoNow();
    const policy: ManagedPolicyState = {
      policyName: input.policyName,
      policyId: newUniqueId("ANPA"),
      arn,
      path,
      ...(input.description === undefined ? {} : { description: input.description }),
      createDate: now,
      updateDate: now,
      defaultVersionId: "v1",
      document: input.document,
      tags,
    };
    this.#policies.set(arn, policy);
    this.#save();
    return this.getPolicy(arn);
  }

  /** An AWS managed or customer managed policy by ARN, or NoSuchEntity. */
  getPolicy(policyArn: string): ManagedPolicyView {
    const policy = this.#policies.get(policyArn) ?? awsManagedPolicy(policyArn);
    if (!policy) throw new NoSuchEntityError(`Policy ${policyArn} does not exist or is not attachable.`);
    return {
      ...policy,
      attachmentCount: this.#attachmentCount(policyArn),
      permissionsBoundaryUsageCount: this.#boundaryUsageCount(policyArn),
      isAttachable: true,
    };
  }

  /** The document of one version; only the default version exists here. */
  getPolicyVersion(policyArn: string, versionId: string): { document: string; createDate: string } {
    const policy = this.getPolicy(policyArn);
    if (versionId !== policy.defaultVersionId) {
      throw new NoSuchEntityError(
        `Policy ${policyArn} version ${versionId} does not exist or is not attachable.`,
      );
    }
    return { document: policy.document, createDate: policy.updateDate };
  }

  deletePolicy(policyArn: string): void {
    if (!this.#policies.has(policyArn)) {
      if (awsManagedPolicy(policyArn))
        throw new IamError(400, "InvalidInput", "Cannot delete an AWS managed policy.");
      throw new NoSuchEntityError(`Policy ${policyArn} was not found.`);
    }
    if (this.#attachmentCount(policyArn) > 0 || this.#boundaryUsageCount(policyArn) > 0) {
      throw new DeleteConflictError("Cannot delete a policy attached to entities.");
    }
    this.#policies.delete(policyArn);
    this.#save();
  }

  listPolicies(scope: "All" | "AWS" | "Local", onlyAttached: boolean, pathPrefix = "/"): ManagedPolicyView[] {
    const candidates: ManagedPolicyState[] = [
      ...(scope === "Local" ? [] : awsManagedPolicies()),
      ...(scope === "AWS" ? [] : this.#policies.values()),
    ];
    return candidates
      .map((policy) => this.getPolicy(policy.arn))
      .filter((policy) => policy.path.startsWith(pathPrefix) && (!onlyAttached || policy.attachmentCount > 0))
      .sort((a, b) => compareNames(a.policyName, b.policyName));
  }

  /** The parsed inline and attached policies of a role, for the authorizer; empty when the role is gone. */
  identityPolicies(roleNameOrArn: string): PolicyDocument[] {
    const role = this.findRole(roleNameOrArn);
    if (!role) return [];
    const documents = [
      ...Object.values(role.inlinePolicies),
      ...role.attachedPolicyArns.flatMap((arn) => {
        const policy = this.#policies.get(arn) ?? awsManagedPolicy(arn);
        return policy ? [policy.document] : [];
      }),
    ];
    return documents.map((document) => storedPolicyDocument(document, "identity"));
  }

  /** The record other services see (Lambda checks the execution role exists). */
  static toRecord(role: RoleState): IamRoleRecord {
    return {
      roleName: role.roleName,
      roleArn: role.arn,
      roleId: role.roleId,
      assumeRolePolicyDocument: role.assumeRolePolicyDocument,
      createDate: role.createDate,
      maxSessionDuration: role.maxSessionDuration,
    };
  }

  #boundaryUsageCount(policyArn: string): number {
    let count = 0;
    for (const role of this.#roles.values()) if (role.permissionsBoundary === policyArn) count++;
    return count;
  }

  #attachmentCount(policyArn: string): number {
    let count = 0;
    for (const role of this.#roles.values()) if (role.attachedPolicyArns.includes(policyArn)) count++;
    return count;
  }

  #load(state: PersistedState): void {
    for (const role of state.roles ?? []) this.#roles.set(nameKey(role.roleName), role);
    for (const policy of state.policies ?? []) this.#policies.set(policy.arn, policy);
  }

  #state(): IamJournalRecord {
    return {
      t: "state",
      state: { version: 1, roles: [...this.#roles.values()], policies: [...this.#policies.values()] },
    };
  }

  #save(): void {
    // A failed write poisons the journal, and the dispatcher's wait for durability answers the error.
    this.#journal?.append(this.#state()).catch(() => undefined);
  }
}

function validateName(name: string, field: string, maxLength: number): void {
  if (name.length < 1 || name.length > maxLength || !namePattern.test(name)) {
    throw new IamValidationError(
      validationMessage(
        field,
        name,
        constraint.pattern(`[\\w+=,.@-]+ and have length between 1 and ${maxLength}`),
      ),
    );
  }
}

function validatePath(path: string): void {
  if (path.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(path)) {
    throw new IamValidationError(
      validationMessage("path", path, constraint.pattern("(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)")),
    );
  }
}

function compareNames(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

/** IAM timestamps carry no milliseconds: `2026-11-25T10:00:00Z`. */
function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
