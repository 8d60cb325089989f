import * as z from "zod";
import { logGroupArn } from "../arn.ts";
import { type AnyOperation, operation } from "../service/index.ts";
import { constraint } from "../validation-message.ts";
import type { LogsOperationContext } from "./api.ts";
import type { LogsArns } from "./arns.ts";
import { InvalidParameterError } from "./errors.ts";
import { optionalText, pageOf, paging, requiredText, tagMap } from "./parameters.ts";
import type { LogGroupState } from "./store.ts";

/** The log group operations: create, delete, describe, and their retention. */

const retentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const groupNameInput = z.object({ logGroupName: requiredText });

export function groupOperations({ store, journal, arns, createGroup }: LogsOperationContext): AnyOperation[] {
  return [
    operation({
      name: "CreateLogGroup",
      input: z.object({ logGroupName: requiredText, tags: tagMap.optional() }),
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: (input) => {
        createGroup(input.logGroupName, input.tags ?? {});
        return {};
      },
    }),
    operation({
      name: "DeleteLogGroup",
      input: groupNameInput,
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: ({ logGroupName: name }) => {
        store.deleteGroup(name);
        journal?.record({ t: "deleteGroup", name });
        return {};
      },
    }),
    operation({
      name: "DescribeLogGroups",
      input: z.object({
        logGroupNamePrefix: optionalText,
        logGroupNamePattern: optionalText,
        ...paging(50),
      }),
      resource: (_input, call) => logGroupArn(call.request.region, arns(call).accountId, "*"),
      handler: (input, call) => {
        const { logGroupNamePrefix: prefix, logGroupNamePattern: pattern } = input;
        if (prefix !== undefined && pattern !== undefined) {
          throw new InvalidParameterError(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
          );
        }
        const needle = pattern?.toLowerCase();
        const groups = store
          .listGroups()
          .filter((group) => prefix === undefined || group.name.startsWith(prefix))
          .filter((group) => needle === undefined || group.name.toLowerCase().includes(needle));
        const page = pageOf(groups, input, 50);
        return {
          logGroups: page.items.map((group) => describeGroup(group, arns(call))),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
    }),
    operation({
      name: "PutRetentionPolicy",
      input: z.object({
        logGroupName: requiredText,
        retentionInDays: z
          .number()
          .refine((days) => retentionDays.includes(days), { error: constraint.enumOf(retentionDays) }),
      }),
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: ({ logGroupName: name, retentionInDays: days }) => {
        store.setRetention(name, days);
        journal?.record({ t: "retention", name, days });
        return {};
      },
    }),
    operation({
      name: "DeleteRetentionPolicy",
      input: groupNameInput,
      resource: (input, call) => arns(call).group(input.logGroupName),
      handler: ({ logGroupName: name }) => {
        store.setRetention(name, undefined);
        journal?.record({ t: "retention", name });
        return {};
      },
    }),
  ];
}

function describeGroup(group: LogGroupState, arns: LogsArns): Record<string, unknown> {
  return {
    logGroupName: group.name,
    creationTime: group.creationTime,
    ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
    metricFilterCount: 0,
    arn: arns.group(group.name),
    storedBytes: group.storedBytes,
    logGroupClass: "STANDARD",
    logGroupArn: arns.groupWithoutSuffix(group.name),
  };
}
