import { encodeS3EventKey } from "../../../events/s3-event.ts";

/** What decides whether a notification applies to an event: its event types and its key filter. */
export interface NotificationFilter {
  /** As configured, e.g. `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

/**
 * Whether a configured event type (`s3:ObjectCreated:*`, `s3:ObjectCreated:Put`) covers an event name as it
 * appears in the record (`ObjectCreated:Put`). `*` matches any run of characters, as in S3's own matching.
 */
export function matchesEventType(configured: string, eventName: string): boolean {
  const pattern = configured.replace(/^s3:/, "");
  const name = eventName.replace(/^s3:/, "");
  const regex = new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
  return regex.test(name);
}

/**
 * Whether the key passes the notification's prefix/suffix rules. S3 evaluates rules against the key as it
 * appears in the event (form-URL-encoded): AWS documents that a space in a rule value must be written as `+`
 * and other special characters percent-encoded. For the usual `uploads/` and `.jpg` rules both forms agree.
 */
export function matchesKeyFilter(
  notification: Pick<NotificationFilter, "prefix" | "suffix">,
  key: string,
): boolean {
  const encoded = encodeS3EventKey(key);
  if (notification.prefix && !encoded.startsWith(notification.prefix)) return false;
  if (notification.suffix && !encoded.endsWith(notification.suffix)) return false;
  return true;
}

/** The notifications of a bucket that an event with this name on this (decoded) key triggers. */
export function matchingNotifications<T extends NotificationFilter>(
  notifications: T[],
  eventName: string,
  key: string,
): T[] {
  return notifications.filter(
    (notification) =>
      notification.events.some((configured) => matchesEventType(configured, eventName)) &&
      matchesKeyFilter(notification, key),
  );
}

/** The prefix and suffix of a destination's `S3Key` filter rules (names as the client sent them). */
export function keyFilter(rules: ReadonlyArray<{ name: string; value: string }>): {
  prefix?: string;
  suffix?: string;
} {
  const filter: { prefix?: string; suffix?: string } = {};
  for (const rule of rules) {
    if (rule.name.toLowerCase() === "prefix") filter.prefix = rule.value;
    else filter.suffix = rule.value;
  }
  return filter;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
