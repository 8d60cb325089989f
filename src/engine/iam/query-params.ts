import type { ServiceRequest } from "../types.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { IamValidationError } from "./errors.ts";

/**
 * Parameters of a Query-protocol request (IAM, STS): `Action=CreateRole&RoleName=x&Tags.member.1.Key=k`.
 * Clients send them as a form body or in the query string (presigned, GET); both are read, the body winning.
 */
export class QueryParams {
  readonly #params = new Map<string, string>();

  constructor(request: Pick<ServiceRequest, "query" | "body" | "headers">) {
    for (const [name, value] of request.query) this.#params.set(name, value);
    if (request.body.length > 0) {
      for (const [name, value] of new URLSearchParams(request.body.toString("utf8")))
        this.#params.set(name, value);
    }
  }

  get action(): string {
    return this.#params.get("Action") ?? "";
  }

  get(name: string): string | undefined {
    return this.#params.get(name);
  }

  /** A required parameter; a missing one is a ValidationError, worded as AWS words it. */
  required(name: string): string {
    const value = this.#params.get(name);
    if (value === undefined || value === "") {
      const field = name.charAt(0).toLowerCase() + name.slice(1);
      throw new IamValidationError(validationMessage(field, null, constraint.notNull));
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.#params.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      throw new IamValidationError(`Value '${value}' at '${name}' is not a valid integer`);
    }
    return parsed;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#params.get(name);
    return value === undefined ? undefined : value.toLowerCase() === "true";
  }

  /** `Name.member.1`, `Name.member.2`, ... in order. */
  list(name: string): string[] {
    const values: string[] = [];
    for (let index = 1; ; index++) {
      const value = this.#params.get(`${name}.member.${index}`);
      if (value === undefined) return values;
      values.push(value);
    }
  }

  /** `Tags.member.N.Key` / `Tags.member.N.Value`. */
  tags(name = "Tags"): Array<{ Key: string; Value: string }> {
    const tags: Array<{ Key: string; Value: string }> = [];
    for (let index = 1; ; index++) {
      const key = this.#params.get(`${name}.member.${index}.Key`);
      if (key === undefined) return tags;
      tags.push({ Key: key, Value: this.#params.get(`${name}.member.${index}.Value`) ?? "" });
    }
  }
}
