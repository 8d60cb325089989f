import * as z from "zod";
import { type AnyOperation, operation, respondWith } from "../service/index.ts";
import { invalidParameterValue, parseTags } from "./function-settings.ts";
import type { FunctionRecord, FunctionStore } from "./functions.ts";
import { type FindFunction, label, member } from "./operations.ts";

/**
 * TagResource, UntagResource and ListTags on `/2017-03-31/tags/{ARN}` (the Lambda API reference's paths): a
 * function's tags, the same map CreateFunction's `Tags` sets and GetFunction answers. At most 50 a function after
 * the change, refused before anything changes ("Number of tags exceeds resource tag limit.", the wording
 * CreateFunction's check already uses). Tags belong to the function: a version or alias ARN is refused by name,
 * as every unqualified-only operation here is.
 */

const MAX_TAGS = 50;

const tagsPath = "/2017-03-31/tags/{Resource}";

export function tagOperations(
  dependencies: () => { store: FunctionStore },
  find: FindFunction,
): AnyOperation[] {
  const save = (record: FunctionRecord, tags: Record<string, string>) => {
    if (Object.keys(tags).length > MAX_TAGS)
      throw invalidParameterValue("Number of tags exceeds resource tag limit.");
    record.tags = tags;
    dependencies().store.keep(record);
    return respondWith({ status: 204, headers: {} });
  };
  return [
    operation({
      name: "ListTags",
      http: { method: "GET", path: tagsPath },
      action: "lambda:ListTags",
      input: z.object({ Resource: label }),
      resource: (input, call) => find(call, input.Resource).record.arn,
      handler: (input, call) => ({ Tags: { ...(find(call, input.Resource).record.tags ?? {}) } }),
    }),
    operation({
      name: "TagResource",
      http: { method: "POST", path: tagsPath },
      action: "lambda:TagResource",
      input: z.object({ Resource: label, Tags: member }),
      resource: (input, call) => find(call, input.Resource).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.Resource);
        return save(record, { ...(record.tags ?? {}), ...parseTags(input.Tags) });
      },
    }),
    operation({
      name: "UntagResource",
      // The SDK sends TagKeys as repeated `tagKeys` parameters.
      http: { method: "DELETE", path: tagsPath, query: { TagKeys: { list: "tagKeys" } } },
      action: "lambda:UntagResource",
      input: z.object({ Resource: label, TagKeys: z.array(z.string()).optional() }),
      resource: (input, call) => find(call, input.Resource).record.arn,
      handler: (input, call) => {
        const { record } = find(call, input.Resource);
        const keys = input.TagKeys ?? [];
        if (keys.length === 0) throw invalidParameterValue("TagKeys must name at least one tag key");
        const tags = { ...(record.tags ?? {}) };
        for (const key of keys) delete tags[key];
        return save(record, tags);
      },
    }),
  ];
}
