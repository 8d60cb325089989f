/**
 * What CloudWatch Logs offers the other services in-process: the Lambda runtime writes function output through
 * it. `startEngine` hands it to Lambda; nothing else of `logs/` is Lambda's to import.
 */

export interface LogEventInput {
  timestamp: number;
  message: string;
}

export interface LogWriter {
  /** Appends events to a stream, creating the stream (not the group) if needed; false when the group is missing. */
  putLogEvents(groupName: string, streamName: string, events: LogEventInput[]): boolean;
  /** Creates the group if missing (the Lambda runtime does this when the role allows `logs:CreateLogGroup`). */
  ensureLogGroup(groupName: string): void;
  hasLogGroup(groupName: string): boolean;
}
