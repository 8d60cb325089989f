import * as z from "zod";
import { type AnyOperation, operation, respondWith, ServiceError } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { invalidParameterValue, validationException } from "./function-settings.ts";
import type { FunctionStore } from "./functions.ts";
import {
  type FindFunction,
  type FunctionTarget,
  functionPath,
  label,
  member,
  parameter,
} from "./operations.ts";
import { renderPolicy, renderStatement } from "./policy.ts";
import { checkRevision } from "./version-operations.ts";

/**
 * AddPermission, GetPolicy and RemovePermission: the function's resource policy. A policy belongs to one ARN on
 * AWS; the engine keeps the function's only, so a version or alias qualifier is refused by name.
 */
export function permissionOperations(
  dependencies: () => { store: FunctionStore },
  find: FindFunction,
): AnyOperation[] {
  const addPermission = ({ record, qualifier }: FunctionTarget, body: Record<string, unknown>) => {
    // Lambda keeps no policy for $LATEST apart from the function's own (LocalStack's provider answers this).
    if (qualifier === "$LATEST")
      throw invalidParameterValue("We currently do not support adding policies for $LATEST.");
    checkRevision(record.revisionId, body.RevisionId);
    const statementId = body.StatementId;
    if (typeof statementId !== "string" || !/^[a-zA-Z0-9-_.]{1,100}$/.test(statementId)) {
      throw validationException(
        validationMessage("statementId", String(statementId), constraint.pattern("([a-zA-Z0-9-_.]+)")),
      );
    }
    if (typeof body.Action !== "string" || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(body.Action)) {
      throw validationException(
        validationMessage(
          "action",
          String(body.Action),
          constraint.pattern("(lambda:[*]|lambda:[a-zA-Z]+|[*])"),
        ),
      );
    }
    if (typeof body.Principal !== "string" || body.Principal === "") {
      throw validationException(validationMessage("principal", null, constraint.notNull));
    }
    if (record.policy.some((statement) => statement.Sid === statementId)) {
      throw new ServiceError(
        409,
        "ResourceConflictException",
        `The statement id (${statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const statement = renderStatement(
      {
        StatementId: statementId,
        Action: body.Action,
        Principal: body.Principal,
        ...optionalString("SourceArn", body.SourceArn),
        ...optionalString("SourceAccount", body.SourceAccount),
        ...optionalString("PrincipalOrgID", body.PrincipalOrgID),
        ...optionalString("EventSourceToken", body.EventSourceToken),
      },
      record.arn,
    );
    record.policy.push(statement);
    dependencies().store.touch(record);
    return { Statement: JSON.stringify(statement) };
  };

  const getPolicy = ({ record }: FunctionTarget) => {
    if (record.policy.length === 0) {
      throw new ServiceError(404, "ResourceNotFoundException", "The resource you requested does not exist.");
    }
    return { Policy: renderPolicy(record.policy), RevisionId: record.revisionId };
  };

  const removePermission = ({ record }: FunctionTarget, statementId: string, revisionId?: string) => {
    checkRevision(record.revisionId, revisionId);
    const index = record.policy.findIndex((statement) => statement.Sid === statementId);
    if (index === -1) {
      throw new ServiceError(
        404,
        "ResourceNotFoundException",
        `Statement ${statementId} is not found in resource policy.`,
      );
    }
    record.policy.splice(index, 1);
    dependencies().store.touch(record);
    return respondWith({ status: 204 });
  };
  const policyPath = `${functionPath}/policy`;
  return [
    operation({
      name: "AddPermission",
      http: { method: "POST", path: policyPath, status: 201 },
      action: "lambda:AddPermission",
      input: z.object({
        FunctionName: label,
        Qualifier: parameter,
        StatementId: member,
        Action: member,
        Principal: member,
        SourceArn: member,
        SourceAccount: member,
        EventSourceToken: member,
        RevisionId: member,
        PrincipalOrgID: member,
      }),
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => addPermission(find(call, input.FunctionName, input.Qualifier), input),
    }),
    operation({
      name: "GetPolicy",
      http: { method: "GET", path: policyPath },
      action: "lambda:GetPolicy",
      input: z.object({ FunctionName: label, Qualifier: parameter }),
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) => getPolicy(find(call, input.FunctionName, input.Qualifier)),
    }),
    operation({
      name: "RemovePermission",
      http: { method: "DELETE", path: `${policyPath}/{StatementId}` },
      action: "lambda:RemovePermission",
      input: z.object({
        FunctionName: label,
        StatementId: label,
        Qualifier: parameter,
        RevisionId: parameter,
      }),
      resource: (input, call) => find(call, input.FunctionName, input.Qualifier).record.arn,
      handler: (input, call) =>
        removePermission(
          find(call, input.FunctionName, input.Qualifier),
          input.StatementId,
          input.RevisionId,
        ),
    }),
  ];
}

function optionalString<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" && value !== "" ? ({ [key]: value } as Record<K, string>) : {};
}
