import { z } from "zod";
import { logGroupArn } from "../arn.ts";
import type { EngineEventBus } from "../context.ts";
import { logsBatchBytes } from "../request-limits.ts";
import {
  type AnyOperation,
  type OperationCall,
  type OperationDeclaration,
  operation,
} from "../service/index.ts";
import { constraint, validationMessage } from "../validation-message.ts";
import { LogsArns } from "./arns.ts";
import { FilterPatternError, InvalidParameterError, LogsError, ResourceNotFoundError } from "./errors.ts";
import { compileFilterPattern, type LogFilter } from "./filter-pattern.ts";
import type { LogJournal } from "./journal.ts";
import { clampLimit, decodeFilterToken, encodeFilterToken, pageLogEvents } from "./paging.ts";
import {
  groupNameFromArn,
  groupNameOf,
  type Input,
  MAX_LOG_GROUP_TAGS,
  optionalBoolean,
  optionalNumber,
  optionalString,
  pageOf,
  requiredString,
  stringList,
  tagMap,
} from "./parameters.ts";
import type { LogGroupState, LogStore, NewLogEvent } from "./store.ts";

/**
 * The CloudWatch Logs operations (JSON 1.1 bodies in, plain objects out) and, per operation, the resource ARN
 * IAM checks for role callers.
 */

/**
 * A request body: a JSON object whose members the handlers read with parameters.ts's typed readers, which word
 * a missing or mistyped member as CloudWatch Logs does. Each operation lists the members it handles (named as in
 * the SDK's `<Operation>Request`); any other member is refused by name, never dropped (`kmsKeyId`,
 * `logGroupClass`, `entity`, ...).
 */
/** The members each operation handles, named as in the SDK's `<Operation>Request`; any other is refused. */
export const logsOperationMembers: Readonly<Record<string, readonly string[]>> = {
  CreateLogGroup: ["logGroupName", "tags"],
  DeleteLogGroup: ["logGroupName"],
  DescribeLogGroups: ["logGroupNamePrefix", "logGroupNamePattern", "nextToken", "limit"],
  PutRetentionPolicy: ["logGroupName", "retentionInDays"],
  DeleteRetentionPolicy: ["logGroupName"],
  CreateLogStream: ["logGroupName", "logStreamName"],
  DeleteLogStream: ["logGroupName", "logStreamName"],
  DescribeLogStreams: [
    "logGroupName",
    "logGroupIdentifier",
    "logStreamNamePrefix",
    "orderBy",
    "descending",
    "nextToken",
    "limit",
  ],
  PutLogEvents: ["logGroupName", "logStreamName", "logEvents", "sequenceToken"],
  GetLogEvents: [
    "logGroupName",
    "logGroupIdentifier",
    "logStreamName",
    "startTime",
    "endTime",
    "nextToken",
    "limit",
    "startFromHead",
    "unmask",
  ],
  FilterLogEvents: [
    "logGroupName",
    "logGroupIdentifier",
    "logStreamNames",
    "logStreamNamePrefix",
    "startTime",
    "endTime",
    "filterPattern",
    "nextToken",
    "limit",
    "startFromHead",
    "interleaved",
    "unmask",
  ],
  ListTagsLogGroup: ["logGroupName"],
  TagLogGroup: ["logGroupName", "tags"],
  UntagLogGroup: ["logGroupName", "tags"],
  ListTagsForResource: ["resourceArn"],
  TagResource: ["resourceArn", "tags"],
  UntagResource: ["resourceArn", "tagKeys"],
};

const logsOperation = (declaration: Omit<OperationDeclaration<Input, unknown>, "input">): AnyOperation => {
  const members = logsOperationMembers[declaration.name] ?? [];
  return operation({
    ...declaration,
    input: z.object(
      Object.fromEntries(members.map((member) => [member, z.unknown().optional()])),
    ) as z.ZodType<Input>,
  });
};

const retentionDays = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);
const dayMs = 86_400_000;
/** AWS rejects events more than 2 hours ahead or 14 days behind ingestion time. */
const maxFutureMs = 2 * 3_600_000;
const maxPastMs = 14 * dayMs;

/** Everything the operations need besides their input. */
export interface LogsApiDependencies {
  store: LogStore;
  accountId: string;
  events: EngineEventBus;
  journal?: LogJournal;
  now?: () => number;
  /** Apply FilterLogEvents' filter patterns (default true); LocalStack community matches every event instead. */
  filterPatterns?: boolean;
}

/** Builds the operation table; shared by the HTTP service and the `LogWriter` (contract.ts). */
export class LogsApi {
  readonly #store: LogStore;
  readonly #accountId: string;
  readonly #events: EngineEventBus;
  readonly #journal: LogJournal | undefined;
  readonly #now: () => number;
  readonly #filterPatterns: boolean;

  constructor(dependencies: LogsApiDependencies) {
    this.#store = dependencies.store;
    this.#accountId = dependencies.accountId;
    this.#events = dependencies.events;
    this.#journal = dependencies.journal;
    this.#now = dependencies.now ?? Date.now;
    this.#filterPatterns = dependencies.filterPatterns ?? true;
  }

  /** Appends events (creating the stream), journals them and tells observers; the shared write path. */
  append(group: string, stream: string, events: readonly NewLogEvent[], createStream: boolean): void {
    const ingestionTime = this.#now();
    const hadStream = this.#store.getGroup(group).streams.has(stream);
    const stored = this.#store.append(group, stream, events, { createStream, ingestionTime });
    if (!hadStream) this.#journal?.record({ t: "stream", group, name: stream, created: ingestionTime });
    if (stored.length === 0) return;
    this.#journal?.record({
      t: "events",
      group,
      stream,
      ingested: ingestionTime,
      events: stored.map((event) => [event.timestamp, event.message]),
    });
    this.#events.activity({
      kind: "log",
      group,
      stream,
      events: stored.map((event) => ({ timestamp: event.timestamp, message: event.message })),
    });
  }

  createGroup(name: string, tags: Record<string, string> = {}): void {
    const group = this.#store.createGroup(name, tags, this.#now());
    this.#journal?.record({ t: "group", name, created: group.creationTime, tags });
  }

  /** ARNs in the request's region. */
  #arns(call: OperationCall): LogsArns {
    return new LogsArns(call.request.region, this.#accountId);
  }

  /** The operations, as the service declares them; each checks `logs:<name>` on its resource. */
  readonly operations: readonly AnyOperation[] = [
    logsOperation({
      name: "CreateLogGroup",
      resource: (input, call) => this.#arns(call).group(optionalString(input, "logGroupName") ?? ""),
      handler: (input) => {
        this.createGroup(requiredString(input, "logGroupName"), tagMap(input, "tags"));
        return {};
      },
    }),
    logsOperation({
      name: "DeleteLogGroup",
      resource: (input, call) => this.#arns(call).group(groupNameOf(input)),
      handler: (input) => {
        const name = groupNameOf(input);
        this.#store.deleteGroup(name);
        this.#journal?.record({ t: "deleteGroup", name });
        return {};
      },
    }),
    logsOperation({
      name: "DescribeLogGroups",
      resource: (_input, call) => logGroupArn(call.request.region, this.#accountId, "*"),
      handler: (input, call) => {
        const prefix = optionalString(input, "logGroupNamePrefix");
        const pattern = optionalString(input, "logGroupNamePattern");
        if (prefix !== undefined && pattern !== undefined) {
          throw new InvalidParameterError(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
          );
        }
        const needle = pattern?.toLowerCase();
        const groups = this.#store
          .listGroups()
          .filter((group) => prefix === undefined || group.name.startsWith(prefix))
          .filter((group) => needle === undefined || group.name.toLowerCase().includes(needle));
        const arns = this.#arns(call);
        const page = pageOf(groups, input, 50);
        return {
          logGroups: page.items.map((group) => this.#describeGroup(group, arns)),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
    }),
    logsOperation({
      name: "PutRetentionPolicy",
      resource: (input, call) => this.#arns(call).group(groupNameOf(input)),
      handler: (input) => {
        const name = groupNameOf(input);
        const days = optionalNumber(input, "retentionInDays");
        if (days === undefined || !retentionDays.has(days)) {
          throw new InvalidParameterError(
            validationMessage("retentionInDays", String(days), constraint.enumOf([...retentionDays])),
          );
        }
        this.#store.setRetention(name, days);
        this.#journal?.record({ t: "retention", name, days });
        return {};
      },
    }),
    logsOperation({
      name: "DeleteRetentionPolicy",
      resource: (input, call) => this.#arns(call).group(groupNameOf(input)),
      handler: (input) => {
        const name = groupNameOf(input);
        this.#store.setRetention(name, undefined);
        this.#journal?.record({ t: "retention", name });
        return {};
      },
    }),
    logsOperation({
      name: "CreateLogStream",
      resource: (input, call) =>
        this.#arns(call).stream(groupNameOf(input), optionalString(input, "logStreamName") ?? ""),
      handler: (input) => {
        const group = groupNameOf(input);
        const name = requiredString(input, "logStreamName");
        const stream = this.#store.createStream(group, name, this.#now());
        this.#journal?.record({ t: "stream", group, name, created: stream.creationTime });
        return {};
      },
    }),
    logsOperation({
      name: "DeleteLogStream",
      resource: (input, call) =>
        this.#arns(call).stream(groupNameOf(input), optionalString(input, "logStreamName") ?? ""),
      handler: (input) => {
        const group = groupNameOf(input);
        const name = requiredString(input, "logStreamName");
        this.#store.deleteStream(group, name);
        this.#journal?.record({ t: "deleteStream", group, name });
        return {};
      },
    }),
    logsOperation({
      name: "DescribeLogStreams",
      resource: (input, call) => this.#arns(call).group(groupNameOf(input)),
      handler: (input, call) => {
        const groupName = groupNameOf(input);
        const group = this.#store.getGroup(groupName);
        const prefix = optionalString(input, "logStreamNamePrefix");
        const orderBy = optionalString(input, "orderBy") ?? "LogStreamName";
        if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") {
          throw new InvalidParameterError(
            validationMessage("orderBy", orderBy, constraint.enumOf(["LogStreamName", "LastEventTime"])),
          );
        }
        if (orderBy === "LastEventTime" && prefix !== undefined) {
          throw new InvalidParameterError("Cannot order by LastEventTime with a logStreamNamePrefix.");
        }
        let streams = [...group.streams.values()].filter(
          (stream) => prefix === undefined || stream.name.startsWith(prefix),
        );
        streams.sort((a, b) =>
          orderBy === "LastEventTime"
            ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || compare(a.name, b.name)
            : compare(a.name, b.name),
        );
        if (optionalBoolean(input, "descending")) streams = streams.reverse();
        const arns = this.#arns(call);
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
            arn: arns.stream(groupName, stream.name),
            storedBytes: 0,
          })),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
    }),
    logsOperation({
      name: "PutLogEvents",
      resource: (input, call) =>
        this.#arns(call).stream(groupNameOf(input), optionalString(input, "logStreamName") ?? ""),
      handler: (input) => this.#putLogEvents(input),
    }),
    logsOperation({
      name: "GetLogEvents",
      resource: (input, call) =>
        this.#arns(call).stream(groupNameOf(input), optionalString(input, "logStreamName") ?? ""),
      handler: (input) => {
        const group = this.#store.getGroup(groupNameOf(input));
        const stream = this.#store.getStream(group.name, requiredString(input, "logStreamName"));
        const startTime = this.#retentionStart(group, optionalNumber(input, "startTime"));
        const endTime = optionalNumber(input, "endTime");
        const nextToken = optionalString(input, "nextToken");
        const limit = optionalNumber(input, "limit");
        const startFromHead = optionalBoolean(input, "startFromHead");
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
    logsOperation({
      name: "FilterLogEvents",
      resource: (input, call) => this.#arns(call).group(groupNameOf(input)),
      handler: (input) => this.#filterLogEvents(input),
    }),
    logsOperation({
      name: "ListTagsLogGroup",
      resource: (input, call) => this.#arns(call).group(requiredString(input, "logGroupName")),
      handler: (input) => ({ tags: { ...this.#store.getGroup(requiredString(input, "logGroupName")).tags } }),
    }),
    logsOperation({
      name: "TagLogGroup",
      resource: (input, call) => this.#arns(call).group(requiredString(input, "logGroupName")),
      handler: (input) => {
        this.#setTags(requiredString(input, "logGroupName"), (tags) =>
          Object.assign(tags, tagMap(input, "tags")),
        );
        return {};
      },
    }),
    logsOperation({
      name: "UntagLogGroup",
      resource: (input, call) => this.#arns(call).group(requiredString(input, "logGroupName")),
      handler: (input) => {
        const keys = stringList(input, "tags") ?? [];
        this.#setTags(requiredString(input, "logGroupName"), (tags) => {
          for (const key of keys) delete tags[key];
        });
        return {};
      },
    }),
    logsOperation({
      name: "ListTagsForResource",
      resource: (input) => requiredString(input, "resourceArn"),
      handler: (input) => ({ tags: { ...this.#store.getGroup(this.#groupOfResource(input)).tags } }),
    }),
    logsOperation({
      name: "TagResource",
      resource: (input) => requiredString(input, "resourceArn"),
      handler: (input) => {
        this.#setTags(this.#groupOfResource(input), (tags) => Object.assign(tags, tagMap(input, "tags")));
        return {};
      },
    }),
    logsOperation({
      name: "UntagResource",
      resource: (input) => requiredString(input, "resourceArn"),
      handler: (input) => {
        const keys = stringList(input, "tagKeys") ?? [];
        this.#setTags(this.#groupOfResource(input), (tags) => {
          for (const key of keys) delete tags[key];
        });
        return {};
      },
    }),
  ];

  #describeGroup(group: LogGroupState, arns: LogsArns): Record<string, unknown> {
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

  #putLogEvents(input: Input): unknown {
    const groupName = groupNameOf(input);
    const streamName = requiredString(input, "logStreamName");
    const group = this.#store.getGroup(groupName);
    const stream = group.streams.get(streamName);
    if (!stream) throw new ResourceNotFoundError("The specified log stream does not exist.");
    const raw = input.logEvents;
    if (!Array.isArray(raw) || raw.length === 0) {
      throw new InvalidParameterError(validationMessage("logEvents", "[]", constraint.minLength(1)));
    }
    if (raw.length > 10_000) {
      throw new InvalidParameterError(validationMessage("logEvents", undefined, constraint.maxLength(10000)));
    }
    const events = raw.map((item: unknown) => {
      const event = (item ?? {}) as Input;
      const timestamp = optionalNumber(event, "timestamp");
      const message = optionalString(event, "message");
      if (timestamp === undefined || message === undefined || timestamp < 0) {
        throw new InvalidParameterError("Each log event needs a timestamp and a message.");
      }
      return { timestamp: Math.trunc(timestamp), message };
    });
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
    const now = this.#now();
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
    if (accepted.length > 0) this.append(groupName, streamName, accepted, false);
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

  #filterLogEvents(input: Input): unknown {
    // Events come oldest first, which is startFromHead's default; the newest-first order is not emulated.
    if (optionalBoolean(input, "startFromHead") === false)
      throw new InvalidParameterError(
        "startFromHead false (newest events first) is not supported by this engine's FilterLogEvents; omit it or pass true.",
      );
    const group = this.#store.getGroup(groupNameOf(input));
    const names = stringList(input, "logStreamNames");
    const prefix = optionalString(input, "logStreamNamePrefix");
    if (names !== undefined && prefix !== undefined) {
      throw new InvalidParameterError("You cannot specify both LogStreamNames and LogStreamNamePrefix.");
    }
    const streams = [...group.streams.values()]
      .filter((stream) => names === undefined || names.includes(stream.name))
      .filter((stream) => prefix === undefined || stream.name.startsWith(prefix))
      .sort((a, b) => compare(a.name, b.name));
    let filter: LogFilter;
    try {
      // Not even parsed when ignored: LocalStack's matcher accepts any pattern and matches every event.
      filter = this.#filterPatterns
        ? compileFilterPattern(optionalString(input, "filterPattern"))
        : () => true;
    } catch (error) {
      if (error instanceof FilterPatternError)
        throw new InvalidParameterError(`Invalid filter pattern: ${error.message}`, { cause: error });
      throw error;
    }
    const token = optionalString(input, "nextToken");
    const startTime = this.#retentionStart(group, optionalNumber(input, "startTime"));
    const endTime = optionalNumber(input, "endTime");
    const result = this.#store.filter(streams, {
      filter,
      limit: clampLimit(optionalNumber(input, "limit")),
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

  /** Events older than the group's retention are gone on AWS; here they are hidden from reads. */
  #retentionStart(group: LogGroupState, startTime: number | undefined): number | undefined {
    if (group.retentionInDays === undefined) return startTime;
    const floor = this.#now() - group.retentionInDays * dayMs;
    return startTime === undefined ? floor : Math.max(startTime, floor);
  }

  #setTags(groupName: string, change: (tags: Record<string, string>) => void): void {
    const group = this.#store.getGroup(groupName);
    const changed = { ...group.tags };
    change(changed);
    // The 50-tag limit holds for the merged set (TooManyTagsException in the service model), checked before any change.
    if (Object.keys(changed).length > MAX_LOG_GROUP_TAGS)
      throw new LogsError(
        "TooManyTagsException",
        `A resource can have no more than ${MAX_LOG_GROUP_TAGS} tags.`,
      );
    group.tags = changed;
    this.#journal?.record({ t: "tags", name: groupName, tags: group.tags });
  }

  #groupOfResource(input: Input): string {
    const arn = requiredString(input, "resourceArn");
    const name = groupNameFromArn(arn);
    if (name === undefined) throw new ResourceNotFoundError(`The specified resource does not exist: ${arn}`);
    return name;
  }
}

/** AWS ignores sequence tokens since 2023 but still returns one; a stable 56-digit number per stream state. */
function sequenceToken(sequence: number): string {
  return `4963${String(sequence).padStart(52, "0")}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
