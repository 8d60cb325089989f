import { jsonResponse } from "../service/index.ts";
import { invalidParameterValue, parseTags } from "./function-settings.ts";
import type { FunctionStore } from "./functions.ts";
import type { FunctionCall, FunctionOperation } from "./operations.ts";

/**
 * TagResource, UntagResource and ListTags on `/2017-03-31/tags/{ARN}` (the Lambda API reference's paths): a
 * function's tags, the same map CreateFunction's `Tags` sets and GetFunction answers. At most 50 a function after
 * the change, refused before anything changes ("Number of tags exceeds resource tag limit.", the wording
 * CreateFunction's check already uses). Tags belong to the function: a version or alias ARN is refused by name,
 * as every unqualified-only operation here is.
 */

const MAX_TAGS = 50;

export function tagOperations(dependencies: () => { store: FunctionStore }): FunctionOperation[] {
  const route = { version: "2017-03-31", collection: "tags", on: "function", qualified: false } as const;
  const save = ({ record }: FunctionCall, tags: Record<string, string>) => {
    if (Object.keys(tags).length > MAX_TAGS)
      throw invalidParameterValue("Number of tags exceeds resource tag limit.");
    record.tags = tags;
    dependencies().store.keep(record);
    return { status: 204, headers: {} };
  };
  return [
    {
      ...route,
      name: "ListTags",
      method: "GET",
      extra: "none",
      action: "ListTags",
      run: ({ record }) => jsonResponse({ Tags: { ...(record.tags ?? {}) } }),
    },
    {
      ...route,
      name: "TagResource",
      method: "POST",
      extra: "none",
      action: "TagResource",
      run: (call) => {
        const tags = parseTags(call.body().Tags);
        return save(call, { ...(call.record.tags ?? {}), ...tags });
      },
    },
    {
      ...route,
      name: "UntagResource",
      method: "DELETE",
      extra: "none",
      action: "UntagResource",
      run: (call) => {
        const keys = call.request.query.getAll("tagKeys");
        if (keys.length === 0) throw invalidParameterValue("TagKeys must name at least one tag key");
        const tags = { ...(call.record.tags ?? {}) };
        for (const key of keys) delete tags[key];
        return save(call, tags);
      },
    },
  ];
}
