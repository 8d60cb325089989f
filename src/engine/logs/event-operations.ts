import * as z from "zod";
import { type AnyOperation, operation } from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import type { LogsOperationContext } from "./api.ts";
import { FilterPatternError, InvalidParameterError, ResourceNotFoundError } from "./errors.ts";
import { compileFilterPattern, type LogFilter } from "./filter-pattern.ts";
import { clampLimit, decodeFilterToken, encodeFilterToken, pageLogEvents } from "./paging.ts";
import {
  groupNameOf,
  groupNameOrIdentifier,
  optionalBoolean,
  optionalNumber,
  optionalText,
  requiredText,
  stringList,
} from "./parameters.ts";
import { logsBatchBytes } from "./section.ts";
import type { LogGroupState } from "./store.ts";
import { compareNames, sequenceToken } from "./stream-operations.ts";

/** The log event operations: PutLogEvents, GetLogEvents, FilterLogEvents. */

const dayMs = 86_400_000;
/** AWS rejects events more than 2 hours ahead or 14 days behind ingestion time. */
const maxFutureMs = 2 * 3_600_000;
const maxPastMs = 14 * dayMs;

/** One InputLogEvent (the service model's `timestamp`, a Long of at least 0, and `message`). */
const logEvent = z.object({ timestamp: z.number().min(0), message: z.string() });

const putLogEventsInput = z.object({
  logGroupName: requiredText,
  logStreamName: requiredText,
  logEvents: z.array(logEvent).optional(),
  sequenceToken: optionalText,
});

/** A time window: what GetLogEvents and FilterLogEvents share. */
const window = {
  startTime: optionalNumber,
  endTime: optionalNumber,
  nextToken: optionalText,
  limit: optionalNumber,
};

const filterLogEventsInput = z.object({
  ...groupNameOrIdentifier,
  logStreamNames: stringList.optional(),
  logStreamNamePrefix: optionalText,
  ...window,
  filterPattern: optionalText,
  startFromHead: optionalBoolean,
  // Deprecated by AWS: results are always interleaved.
  interleaved: optionalBoolean,
  unmask: optionalBoolean,
});

export function eventOperations(context: LogsOperationContext): AnyOperation[] {
  const { store, now, arns } = context;

  /** Events older than the group's retention are gone on AWS; here they are hidden from reads. */
  const retentionStart = (group: LogGroupState, startTime: number | undefined): number | undefined => {
    if (group.retentionInDays === undefined) return startTime;
    const floor = now() - group.retentionInDays * dayMs;
    return startTime === undefined ? floor : Math.max(startTime, floor);
  };

  return [
    operation({
      name: "PutLogEvents",
      input: putLogEventsInput,
      resource: (input, call) => arns(call).stream(input.logGroupName, input.logStreamName),
      handler: (input) => putLogEvents(context, input),
    }),
    operation({
      name: "GetLogEvents",
      input: z.object({
        ...groupNameOrIdentifier,
        logStreamName: requiredText,
        ...window,
        startFromHead: optionalBoolean,
        unmask: optionalBoolean,
      }),
      resource: (input, call) => arns(call).stream(groupNameOf(input), input.logStreamName),
      handler: (input) => {
        const group = store.getGroup(groupNameOf(input));
        const stream = store.getStream(group.name, input.logStreamName);
        const startTime = retentionStart(group, input.startTime);
        const { endTime, nextToken, limit, startFromHead } = input;
        const page = pageLogEvents(stream.events, {
          ...(startTime === undefined ? {} : { startTime }),
          ...(endTime === undefined ? {} : { endTime }),
          ...(nextToken === undefined ? {} : { nextToken }),
          ...(limit === undefined ? {} : { limit }),
          ...(startFromHead === undefined ? {} : { startFromHead }),
        });
        return {
          events: page.events.map((event) => ({
            timestamp: event.timestamp,
            message: event.message,
            ingestionTime: event.ingestionTime,
          })),
          nextForwardToken: page.nextForwardToken,
          nextBackwardToken: page.nextBackwardToken,
        };
      },
    }),
    operation({
      name: "FilterLogEvents",
      input: filterLogEventsInput,
      resource: (input, call) => arns(call).group(groupNameOf(input)),
      handler: (input) => filterLogEvents(context, input, retentionStart),
    }),
  ];
}

function putLogEvents(
  { store, now: clock, append }: LogsOperationContext,
  input: z.output<typeof putLogEventsInput>,
): unknown {
  const { logGroupName: groupName, logStreamName: streamName } = input;
  const group = store.getGroup(groupName);
  const stream = group.streams.get(streamName);
  if (!stream) throw new ResourceNotFoundError("The specified log stream does not exist.");
  const raw = input.logEvents ?? [];
  if (raw.length === 0) {
    throw new InvalidParameterError(validationMessage("logEvents", "[]", constraint.minLength(1)));
  }
  if (raw.length > 10_000) {
    throw new InvalidParameterError(validationMessage("logEvents", undefined, constraint.maxLength(10000)));
  }
  const events = raw.map((event) => ({ timestamp: Math.trunc(event.timestamp), message: event.message }));
  // AWS counts each event as its UTF-8 message plus 26 bytes.
  const batchBytes = events.reduce((sum, event) => sum + Buffer.byteLength(event.message) + 26, 0);
  if (batchBytes > logsBatchBytes) {
    throw new InvalidParameterError(
      `Upload too large: ${batchBytes} bytes exceeds limit of ${logsBatchBytes}`,
    );
  }
  events.sort((a, b) => a.timestamp - b.timestamp);
  const first = events[0]?.timestamp ?? 0;
  const last = events[events.length - 1]?.timestamp ?? 0;
  if (last - first > dayMs) {
    throw new InvalidParameterError(
      "Log events in a single PutLogEvents request cannot span more than 24 hours.",
    );
  }
  const now = clock();
  const retentionFloor =
    group.retentionInDays === undefined ? undefined : now - group.retentionInDays * dayMs;
  let tooOldEnd = -1;
  let expiredEnd = -1;
  let tooNewStart = -1;
  events.forEach((event, index) => {
    if (event.timestamp < now - maxPastMs) tooOldEnd = index;
    if (retentionFloor !== undefined && event.timestamp < retentionFloor) expiredEnd = index;
    if (event.timestamp > now + maxFutureMs && tooNewStart === -1) tooNewStart = index;
  });
  const acceptedFrom = Math.max(tooOldEnd, expiredEnd) + 1;
  const acceptedTo = tooNewStart === -1 ? events.length : tooNewStart;
  const accepted = events.slice(acceptedFrom, Math.max(acceptedFrom, acceptedTo));
  if (accepted.length > 0) append(groupName, streamName, accepted, false);
  const rejected = {
    ...(tooNewStart === -1 ? {} : { tooNewLogEventStartIndex: tooNewStart }),
    ...(tooOldEnd === -1 ? {} : { tooOldLogEventEndIndex: tooOldEnd }),
    ...(expiredEnd === -1 ? {} : { expiredLogEventEndIndex: expiredEnd }),
  };
  return {
    nextSequenceToken: sequenceToken(stream.sequence),
    ...(Object.keys(rejected).length === 0 ? {} : { rejectedLogEventsInfo: rejected }),
  };
}

function filterLogEvents(
  { store, filterPatterns }: LogsOperationContext,
  input: z.output<typeof filterLogEventsInput>,
  retentionStart: (group: LogGroupState, startTime: number | undefined) => number | undefined,
): unknown {
  // Events come oldest first, which is startFromHead's default; the newest-first order is not emulated.
  if (input.startFromHead === false)
    throw new InvalidParameterError(
      "startFromHead false (newest events first) is not supported by this engine's FilterLogEvents; omit it or pass true.",
    );
  const group = store.getGroup(groupNameOf(input));
  const { logStreamNames: names, logStreamNamePrefix: prefix } = input;
  if (names !== undefined && prefix !== undefined) {
    throw new InvalidParameterError("You cannot specify both LogStreamNames and LogStreamNamePrefix.");
  }
  const streams = [...group.streams.values()]
    .filter((stream) => names === undefined || names.includes(stream.name))
    .filter((stream) => prefix === undefined || stream.name.startsWith(prefix))
    .sort((a, b) => compareNames(a.name, b.name));
  let filter: LogFilter;
  try {
    // Not even parsed when ignored: LocalStack's matcher accepts any pattern and matches every event.
    filter = filterPatterns ? compileFilterPattern(input.filterPattern) : () => true;
  } catch (error) {
    if (error instanceof FilterPatternError)
      throw new InvalidParameterError(`Invalid filter pattern: ${error.message}`, { cause: error });
    throw error;
  }
  const token = input.nextToken;
  const startTime = retentionStart(group, input.startTime);
  const endTime = input.endTime;
  const result = store.filter(streams, {
    filter,
    limit: clampLimit(input.limit),
    ...(token === undefined ? {} : { fromKey: decodeFilterToken(token) }),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
  });
  return {
    events: result.events.map((event) => ({
      logStreamName: event.logStreamName,
      timestamp: event.timestamp,
      message: event.message,
      ingestionTime: event.ingestionTime,
      eventId: event.key.toString().padStart(20, "0"),
    })),
    searchedLogStreams: streams.map((stream) => ({
      logStreamName: stream.name,
      searchedCompletely: result.nextKey === undefined,
    })),
    ...(result.nextKey === undefined ? {} : { nextToken: encodeFilterToken(result.nextKey) }),
  };
}
