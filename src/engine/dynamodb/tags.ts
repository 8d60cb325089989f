import { ServiceError } from "../service/index.ts";
import type { ServiceRequest, ServiceResponse } from "../types.ts";
import { backendCall, requestObject, responseJson } from "./backend-call.ts";

/**
 * DynamoDB table tags as the API reference's `Tag` type states them: up to 50 a table, keys 1–128 characters and
 * case-sensitive (one value a key), values 0–256, and the `aws:` prefix reserved for AWS. Neither backend honours
 * them on its own: dynalite stores TagResource's tags unchecked and drops CreateTable's `Tags`; DynamoDB Local
 * drops CreateTable's `Tags` and refuses every tagging operation. So the engine checks tags first, and after
 * dynalite creates a table, applies its `Tags` with TagResource; with DynamoDB Local a CreateTable with tags is
 * refused, never silently stripped.
 */

const MAX_TAGS_PER_TABLE = 50;

interface Tag {
  Key?: unknown;
  Value?: unknown;
}

const validation = (message: string) =>
  new ServiceError(400, "ValidationException", message, { typePrefix: "com.amazon.coral.validate" });

/** The problems AWS's constraints find in a tag list (`member` names the list's parameter), in one message. */
export function checkTags(tags: unknown, existingKeys: readonly string[] = []): Tag[] {
  if (!Array.isArray(tags))
    throw validation(
      "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must not be null",
    );
  const problems: string[] = [];
  tags.forEach((tag: Tag, index) => {
    const at = `tags.${index + 1}.member`;
    if (typeof tag?.Key !== "string" || tag.Key.length < 1 || tag.Key.length > 128)
      problems.push(
        `Value '${String(tag?.Key)}' at '${at}.key' failed to satisfy constraint: Member must have length between 1 and 128`,
      );
    if (typeof tag?.Value !== "string" || tag.Value.length > 256)
      problems.push(
        `Value '${String(tag?.Value)}' at '${at}.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
  });
  if (problems.length > 0)
    throw validation(
      `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`,
    );
  const keys = tags.map((tag: Tag) => tag.Key as string);
  const reserved = keys.find((key) => key.toLowerCase().startsWith("aws:"));
  if (reserved !== undefined)
    throw validation(`Tag key '${reserved}' uses the reserved prefix 'aws:', which only AWS may assign.`);
  const total = new Set([...existingKeys, ...keys]).size;
  if (total > MAX_TAGS_PER_TABLE)
    throw validation(
      `A table can have at most ${MAX_TAGS_PER_TABLE} tags; this request would give it ${total}.`,
    );
  return tags as Tag[];
}

type Backend = (request: ServiceRequest) => Promise<ServiceResponse>;

/**
 * Tags for CreateTable and TagResource, around the backend: checked, then applied (dynalite) or refused
 * (DynamoDB Local, which has no tagging).
 */
export async function withTags(
  backend: Backend,
  backendName: string,
  operation: string,
  request: ServiceRequest,
): Promise<ServiceResponse> {
  if (operation !== "CreateTable" && operation !== "TagResource") return backend(request);
  const input = requestObject(request.body);
  if (!input) return backend(request); // the backend refuses a body that is not an object in its own words
  if (operation === "TagResource") {
    if (!Array.isArray(input.Tags) || typeof input.ResourceArn !== "string") return backend(request);
    const listed = await backend(
      backendCall(request, "ListTagsOfResource", { ResourceArn: input.ResourceArn }),
    );
    const existing = ((responseJson(listed).Tags as { Key: string }[] | undefined) ?? []).map(
      (tag) => tag.Key,
    );
    checkTags(input.Tags, existing);
    return backend(request);
  }
  if (input.Tags === undefined) return backend(request);
  const tags = checkTags(input.Tags);
  if (tags.length > 0 && backendName !== "dynalite")
    throw new ServiceError(
      400,
      "ValidationException",
      `CreateTable with Tags is not supported on the ${backendName} backend (it has no tagging); create the table without Tags, or use the default dynalite backend.`,
      { typePrefix: "com.amazon.coral.validate" },
    );
  const created = await backend(request);
  if (created.status !== 200 || tags.length === 0) return created;
  const arn = (responseJson(created).TableDescription as { TableArn?: string } | undefined)?.TableArn;
  if (arn === undefined) return created;
  const tagged = await backend(backendCall(request, "TagResource", { ResourceArn: arn, Tags: tags }));
  if (tagged.status !== 200)
    throw new ServiceError(
      500,
      "InternalServerError",
      `The table was created, but its tags could not be applied (${tagged.status}).`,
    );
  return created;
}
