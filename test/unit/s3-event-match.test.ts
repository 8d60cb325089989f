import { describe, expect, it } from "vitest";
import type { LambdaNotification } from "../../src/engine/s3/notifications.ts";
import {
  matchesEventType,
  matchesKeyFilter,
  matchingNotifications,
} from "../../src/engine/s3/notifiers/match.ts";

describe("Function: matchesEventType", () => {
  const table: Array<[configured: string, eventName: string, expected: boolean]> = [
    ["s3:ObjectCreated:*", "ObjectCreated:Put", true],
    ["s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true],
    ["s3:ObjectCreated:Put", "ObjectCreated:Put", true],
    ["s3:ObjectCreated:Put", "ObjectCreated:Copy", false],
    ["s3:ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", false],
    ["s3:ObjectRemoved:*", "ObjectCreated:Put", false],
    ["s3:*", "ObjectCreated:Post", true],
    ["s3:ObjectCreated:P*", "ObjectCreated:Put", true],
    ["s3:ObjectCreated:P*", "ObjectCreated:Copy", false],
  ];

  it.each(table)("%s against %s is %s", (configured, eventName, expected) => {
    // Act
    const result = matchesEventType(configured, eventName);

    // Assess
    expect(result).toBe(expected);
  });
});

describe("Function: matchesKeyFilter", () => {
  const table: Array<[filter: { prefix?: string; suffix?: string }, key: string, expected: boolean]> = [
    [{}, "anything", true],
    [{ prefix: "uploads/" }, "uploads/cat.jpg", true],
    [{ prefix: "uploads/" }, "thumbnails/cat.jpg", false],
    [{ suffix: ".jpg" }, "uploads/cat.jpg", true],
    [{ suffix: ".jpg" }, "uploads/cat.png", false],
    [{ prefix: "uploads/", suffix: ".jpg" }, "uploads/cat.jpg", true],
    [{ prefix: "uploads/", suffix: ".jpg" }, "other/cat.jpg", false],
    [{ prefix: "uploads/", suffix: ".jpg" }, "uploads/cat.jpeg", false],
    // S3 compares against the event's (encoded) key: a space in a rule is written `+`.
    [{ prefix: "my+photos/" }, "my photos/cat.jpg", true],
    [{ suffix: ".JPG" }, "uploads/cat.jpg", false],
  ];

  it.each(table)("%o with key %s is %s", (filter, key, expected) => {
    // Act
    const result = matchesKeyFilter(filter, key);

    // Assess
    expect(result).toBe(expected);
  });
});

describe("Function: matchingNotifications", () => {
  it("returns only notifications whose event types and key filters both match", () => {
    // Prepare
    const notifications: LambdaNotification[] = [
      { id: "all", lambdaFunctionArn: "arn:a", events: ["s3:ObjectCreated:*"] },
      {
        id: "jpg",
        lambdaFunctionArn: "arn:b",
        events: ["s3:ObjectCreated:*"],
        prefix: "uploads/",
        suffix: ".jpg",
      },
      { id: "copy", lambdaFunctionArn: "arn:c", events: ["s3:ObjectCreated:Copy"] },
      { id: "png", lambdaFunctionArn: "arn:d", events: ["s3:ObjectCreated:Put"], suffix: ".png" },
    ];

    // Act
    const matched = matchingNotifications(notifications, "ObjectCreated:Put", "uploads/cat.jpg");

    // Assess
    expect(matched.map((notification) => notification.id)).toEqual(["all", "jpg"]);
  });
});
