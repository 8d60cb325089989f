import { jsonResponse, ServiceError } from "../service/index.ts";
import type { ServiceResponse } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { invalidParameterValue, validationException } from "./function-settings.ts";
import type { FunctionStore } from "./functions.ts";
import type { FunctionCall, FunctionOperation } from "./operations.ts";
import { renderPolicy, renderStatement } from "./policy.ts";
import { checkRevision } from "./version-operations.ts";

/**
 * AddPermission, GetPolicy and RemovePermission: the function's resource policy. A policy belongs to one ARN on
 * AWS; the engine keeps the function's only, so a version or alias qualifier is refused by the dispatcher.
 */
export function permissionOperations(dependencies: () => { store: FunctionStore }): FunctionOperation[] {
  const addPermission = ({ record, target, body: readBody }: FunctionCall): ServiceResponse => {
    const body = readBody();
    // Lambda keeps no policy for $LATEST apart from the function's own (LocalStack's provider answers this).
    if (target.qualifier === "$LATEST")
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
    return jsonResponse({ Statement: JSON.stringify(statement) }, 201);
  };

  const getPolicy = ({ record }: FunctionCall): ServiceResponse => {
    if (record.policy.length === 0) {
      throw new ServiceError(404, "ResourceNotFoundException", "The resource you requested does not exist.");
    }
    return jsonResponse({ Policy: renderPolicy(record.policy), RevisionId: record.revisionId });
  };

  const removePermission = ({ request, record, params }: FunctionCall): ServiceResponse => {
    const statementId = params.extra;
    checkRevision(record.revisionId, request.query.get("RevisionId") ?? undefined);
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
    return { status: 204 };
  };
  const route = { on: "function", sub: "policy", qualified: true } as const;
  return [
    {
      ...route,
      name: "AddPermission",
      method: "POST",
      extra: "none",
      action: "AddPermission",
      run: addPermission,
    },
    { ...route, name: "GetPolicy", method: "GET", extra: "none", action: "GetPolicy", run: getPolicy },
    {
      ...route,
      name: "RemovePermission",
      method: "DELETE",
      extra: "required",
      action: "RemovePermission",
      run: removePermission,
    },
  ];
}

function optionalString<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === "string" && value !== "" ? ({ [key]: value } as Record<K, string>) : {};
}
