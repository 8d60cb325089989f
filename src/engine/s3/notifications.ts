import { randomUUID } from "node:crypto";
import { invalidArgument, malformedXml } from "./errors.ts";
import { keyFilter, type NotificationFilter } from "./notifiers/match.ts";
import { type XmlObject, xmlChild, xmlChildren, xmlText, xmlTexts } from "./xml.ts";

/** One destination of a bucket notification configuration. */
export interface NotificationDestination {
  kind: "lambda" | "queue" | "topic";
  id: string;
  /** Function, queue or topic ARN. */
  arn: string;
  events: string[];
  /** S3Key filter rules as configured (`prefix` / `suffix`, names as the client sent them). */
  filterRules: Array<{ name: string; value: string }>;
}

/** One Lambda destination of a bucket's notification configuration, as S3's read API shows it. */
export interface LambdaNotification extends NotificationFilter {
  id: string;
  lambdaFunctionArn: string;
}

/** A bucket's notification configuration as stored. */
export interface NotificationConfiguration {
  destinations: NotificationDestination[];
  eventBridge: boolean;
}

/** Event types S3 accepts in a notification configuration. */
const supportedEvents = new Set([
  "s3:ReducedRedundancyLostObject",
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:ObjectRestore:Delete",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationNotTracked",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
  "s3:ObjectAcl:Put",
]);

const destinationElements = [
  { element: "LambdaFunctionConfiguration", arnElement: "CloudFunction", kind: "lambda" },
  { element: "CloudFunctionConfiguration", arnElement: "CloudFunction", kind: "lambda" },
  { element: "QueueConfiguration", arnElement: "Queue", kind: "queue" },
  { element: "TopicConfiguration", arnElement: "Topic", kind: "topic" },
] as const;

/**
 * Parses a PutBucketNotificationConfiguration body, validating event names and filter rules as S3 does and
 * generating an Id where none was given. An empty document clears the configuration.
 */
export function parseNotificationConfiguration(document: Record<string, unknown>): NotificationConfiguration {
  const root = document.NotificationConfiguration;
  if (root === undefined) throw malformedXml();
  const destinations: NotificationDestination[] = [];
  for (const { element, arnElement, kind } of destinationElements) {
    for (const node of xmlChildren(root, element)) {
      const arn = xmlText(node, arnElement)?.trim();
      if (!arn) throw malformedXml();
      const events = xmlTexts(node, "Event").map((event) => event.trim());
      if (events.length === 0) throw malformedXml();
      for (const event of events) {
        if (!supportedEvents.has(event))
          throw invalidArgument("The event is not supported for notifications", "Event", event);
      }
      const id = xmlText(node, "Id")?.trim() || randomUUID();
      destinations.push({ kind, id, arn, events, filterRules: parseFilterRules(node) });
    }
  }
  const eventBridge = typeof root === "object" && root !== null && "EventBridgeConfiguration" in root;
  return { destinations, eventBridge };
}

function parseFilterRules(node: Record<string, unknown>): Array<{ name: string; value: string }> {
  const rules = xmlChildren(xmlChild(xmlChild(node, "Filter"), "S3Key"), "FilterRule").map((rule) => ({
    name: xmlText(rule, "Name")?.trim() ?? "",
    value: xmlText(rule, "Value") ?? "",
  }));
  const seen = new Set<string>();
  for (const rule of rules) {
    const name = rule.name.toLowerCase();
    if (name !== "prefix" && name !== "suffix") {
      throw invalidArgument("filter rule name must be either prefix or suffix", "FilterRule", rule.name);
    }
    if (seen.has(name)) {
      throw invalidArgument(
        `Cannot specify more than one ${name} rule in a filter.`,
        "FilterRule",
        rule.name,
      );
    }
    seen.add(name);
  }
  return rules;
}

/** The GetBucketNotificationConfiguration document body. */
export function renderNotificationConfiguration(
  configuration: NotificationConfiguration | undefined,
): XmlObject {
  const body: XmlObject = {};
  if (!configuration) return body;
  const render = (kind: NotificationDestination["kind"], arnElement: string) =>
    configuration.destinations
      .filter((destination) => destination.kind === kind)
      .map((destination) => ({
        Id: destination.id,
        [arnElement]: destination.arn,
        Event: destination.events,
        Filter:
          destination.filterRules.length === 0
            ? undefined
            : {
                S3Key: {
                  FilterRule: destination.filterRules.map((rule) => ({ Name: rule.name, Value: rule.value })),
                },
              },
      }));
  body.TopicConfiguration = render("topic", "Topic");
  body.QueueConfiguration = render("queue", "Queue");
  body.CloudFunctionConfiguration = render("lambda", "CloudFunction");
  if (configuration.eventBridge) body.EventBridgeConfiguration = {};
  return body;
}

/** The Lambda destinations, with their key filters, as S3's read API shows them. */
export function lambdaNotifications(
  configuration: NotificationConfiguration | undefined,
): LambdaNotification[] {
  if (!configuration) return [];
  return configuration.destinations
    .filter((destination) => destination.kind === "lambda")
    .map((destination) => ({
      id: destination.id,
      lambdaFunctionArn: destination.arn,
      events: [...destination.events],
      ...keyFilter(destination.filterRules),
    }));
}
