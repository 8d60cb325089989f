import { ServiceError } from "../service/index.ts";

/** Base of the IAM and STS errors; carries the Query-protocol code and HTTP status AWS uses. */
export class IamError extends ServiceError {
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(status, code, message, options);
    this.name = "IamError";
  }
}

/** `NoSuchEntity` (404): the role or policy does not exist. */
export class NoSuchEntityError extends IamError {
  constructor(message: string) {
    super(404, "NoSuchEntity", message);
    this.name = "NoSuchEntityError";
  }
}

/** `EntityAlreadyExists` (409). */
export class EntityAlreadyExistsError extends IamError {
  constructor(message: string) {
    super(409, "EntityAlreadyExists", message);
    this.name = "EntityAlreadyExistsError";
  }
}

/** `DeleteConflict` (409): the role still has policies. */
export class DeleteConflictError extends IamError {
  constructor(message: string) {
    super(409, "DeleteConflict", message);
    this.name = "DeleteConflictError";
  }
}

/** `ValidationError` (400): a parameter is missing or does not satisfy its constraint. */
export class IamValidationError extends IamError {
  constructor(message: string) {
    super(400, "ValidationError", message);
    this.name = "IamValidationError";
  }
}
