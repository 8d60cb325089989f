import * as z from "zod";
import { type AnyOperation, operation } from "../service/index.ts";
import type { LogsOperationContext } from "./api.ts";
import { LogsError, ResourceNotFoundError } from "./errors.ts";
import { groupNameFromArn, MAX_LOG_GROUP_TAGS, requiredText, stringList, tagMap } from "./parameters.ts";

/**
 * A log group's tags, through the legacy group-name operations (ListTagsLogGroup, TagLogGroup, UntagLogGroup)
 * and the ARN ones (ListTagsForResource, TagResource, UntagResource).
 */

/** The log group a tagging ARN names (`...:log-group:<name>`), or ResourceNotFoundException. */
function groupOfResource(arn: string): string {
  const name = groupNameFromArn(arn);
  if (name === undefined) throw new ResourceNotFoundError(`The specified resource does not exist: ${arn}`);
  return name;
}

export function tagOperations({ store, journal, arns }: LogsOperationContext): AnyOperation[] {
  const setTags = (groupName: string, change: (tags: Record<string, string>) => void): void => {
    const group = store.getGroup(groupName);
    const changed = { ...group.tags };
    change(changed);
    // The 50-tag limit holds for the merged set (TooManyTagsException in the service model), checked before any change.
    if (Object.keys(changed).length > MAX_LOG_GROUP_TAGS)
      throw new LogsError(
        "TooManyTagsException",
        `A resource can have no more than ${MAX_LOG_GROUP_TAGS} tags.`,
      );
    group.tags = changed;
    journal?.record({ t: "tags", name: groupName, tags: group.tags });
  };
  const untag = (keys: readonly string[]) => (tags: Record<string, string>) => {
    for (const key of keys) delete tags[key];
  };

  return [
    operation({
      name: "ListTagsLogGroup",
      input: z.object({ logGroupName: requiredText }),
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: (input) => ({ tags: { ...store.getGroup(input.logGroupName).tags } }),
    }),
    operation({
      name: "TagLogGroup",
      input: z.object({ logGroupName: requiredText, tags: tagMap }),
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: (input) => {
        setTags(input.logGroupName, (tags) => Object.assign(tags, input.tags));
        return {};
      },
    }),
    operation({
      name: "UntagLogGroup",
      // The legacy operation's `tags` is the list of keys to remove.
      input: z.object({ logGroupName: requiredText, tags: stringList.optional() }),
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: (input) => {
        setTags(input.logGroupName, untag(input.tags ?? []));
        return {};
      },
    }),
    operation({
      name: "ListTagsForResource",
      input: z.object({ resourceArn: requiredText }),
      resource: (input) => input.resourceArn,
      handler: (input) => ({ tags: { ...store.getGroup(groupOfResource(input.resourceArn)).tags } }),
    }),
    operation({
      name: "TagResource",
      input: z.object({ resourceArn: requiredText, tags: tagMap }),
      resource: (input) => input.resourceArn,
      handler: (input) => {
        setTags(groupOfResource(input.resourceArn), (tags) => Object.assign(tags, input.tags));
        return {};
      },
    }),
    operation({
      name: "UntagResource",
      input: z.object({ resourceArn: requiredText, tagKeys: stringList.optional() }),
      resource: (input) => input.resourceArn,
      handler: (input) => {
        setTags(groupOfResource(input.resourceArn), untag(input.tagKeys ?? []));
        return {};
      },
    }),
  ];
}
