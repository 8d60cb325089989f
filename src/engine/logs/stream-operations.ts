import * as z from "zod";
import { type AnyOperation, operation } from "../service/index.ts";
import type { LogsOperationContext } from "./api.ts";
import { InvalidParameterError } from "./errors.ts";
import {
  groupNameOf,
  groupNameOrIdentifier,
  optionalBoolean,
  optionalText,
  pageOf,
  paging,
  requiredText,
} from "./parameters.ts";

/** The log stream operations: create, delete, describe. */

/** AWS ignores sequence tokens since 2023 but still returns one; a stable 56-digit number per stream state. */
export function sequenceToken(sequence: number): string {
  return `4963${String(sequence).padStart(52, "0")}`;
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const streamInput = z.object({ logGroupName: requiredText, logStreamName: requiredText });

export function streamOperations({ store, journal, now, arns }: LogsOperationContext): AnyOperation[] {
  return [
    operation({
      name: "CreateLogStream",
      input: streamInput,
      resource: (input, call) => arns(call).stream(input.logGroupName, input.logStreamName),
      handler: ({ logGroupName: group, logStreamName: name }) => {
        const stream = store.createStream(group, name, now());
        journal?.record({ t: "stream", group, name, created: stream.creationTime });
        return {};
      },
    }),
    operation({
      name: "DeleteLogStream",
      input: streamInput,
      resource: (input, call) => arns(call).stream(input.logGroupName, input.logStreamName),
      handler: ({ logGroupName: group, logStreamName: name }) => {
        store.deleteStream(group, name);
        journal?.record({ t: "deleteStream", group, name });
        return {};
      },
    }),
    operation({
      name: "DescribeLogStreams",
      input: z.object({
        ...groupNameOrIdentifier,
        logStreamNamePrefix: optionalText,
        orderBy: z.enum(["LogStreamName", "LastEventTime"]).optional(),
        descending: optionalBoolean,
        ...paging(50),
      }),
      resource: (input, call) => arns(call).group(groupNameOf(input)),
      handler: (input, call) => {
        const groupName = groupNameOf(input);
        const group = store.getGroup(groupName);
        const { logStreamNamePrefix: prefix, orderBy = "LogStreamName" } = input;
        if (orderBy === "LastEventTime" && prefix !== undefined) {
          throw new InvalidParameterError("Cannot order by LastEventTime with a logStreamNamePrefix.");
        }
        let streams = [...group.streams.values()].filter(
          (stream) => prefix === undefined || stream.name.startsWith(prefix),
        );
        streams.sort((a, b) =>
          orderBy === "LastEventTime"
            ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || compareNames(a.name, b.name)
            : compareNames(a.name, b.name),
        );
        if (input.descending) streams = streams.reverse();
        const page = pageOf(streams, input, 50);
        return {
          logStreams: page.items.map((stream) => ({
            logStreamName: stream.name,
            creationTime: stream.creationTime,
            ...(stream.firstEventTimestamp === undefined
              ? {}
              : { firstEventTimestamp: stream.firstEventTimestamp }),
            ...(stream.lastEventTimestamp === undefined
              ? {}
              : { lastEventTimestamp: stream.lastEventTimestamp }),
            ...(stream.lastIngestionTime === undefined
              ? {}
              : { lastIngestionTime: stream.lastIngestionTime }),
            uploadSequenceToken: sequenceToken(stream.sequence),
            arn: arns(call).stream(groupName, stream.name),
            storedBytes: 0,
          })),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
    }),
  ];
}
