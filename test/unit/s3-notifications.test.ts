import { describe, expect, it } from "vitest";
import {
  lambdaNotifications,
  parseNotificationConfiguration,
  renderNotificationConfiguration,
} from "../../src/engine/s3/notifications.ts";
import { parseRequestXml, renderXml } from "../../src/engine/s3/xml.ts";

const arn = "arn:aws:lambda:us-east-1:000000000000:function:thumbnailer";

const parse = (xml: string) => parseNotificationConfiguration(parseRequestXml(Buffer.from(xml)));

describe("Function: parseNotificationConfiguration", () => {
  it("reads Lambda destinations as the SDK sends them (CloudFunctionConfiguration)", () => {
    const configuration = parse(
      `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CloudFunctionConfiguration><Id>thumbs</Id><CloudFunction>${arn}</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>uploads/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration></NotificationConfiguration>`,
    );

    expect(lambdaNotifications(configuration)).toEqual([
      {
        id: "thumbs",
        lambdaFunctionArn: arn,
        events: ["s3:ObjectCreated:*"],
        prefix: "uploads/",
        suffix: ".jpg",
      },
    ]);
  });

  it("generates an Id when none is given", () => {
    const configuration = parse(
      `<NotificationConfiguration><LambdaFunctionConfiguration><CloudFunction>${arn}</CloudFunction><Event>s3:ObjectCreated:Put</Event><Event>s3:ObjectCreated:CompleteMultipartUpload</Event></LambdaFunctionConfiguration></NotificationConfiguration>`,
    );

    expect(configuration.destinations[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(configuration.destinations[0]?.events).toEqual([
      "s3:ObjectCreated:Put",
      "s3:ObjectCreated:CompleteMultipartUpload",
    ]);
  });

  it("reads an empty document as no destinations", () => {
    expect(parse("<NotificationConfiguration/>")).toEqual({ destinations: [], eventBridge: false });
  });

  it.each([
    ["an unknown event", `<Event>s3:ObjectCreated:Nope</Event>`],
    [
      "an unknown filter rule",
      `<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter>`,
    ],
    [
      "two prefix rules",
      `<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter>`,
    ],
  ])("rejects %s with InvalidArgument", (_label, inner) => {
    const xml = `<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>${arn}</CloudFunction>${inner}</CloudFunctionConfiguration></NotificationConfiguration>`;
    expect(() => parse(xml)).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
  });

  it("rejects documents that are not a notification configuration", () => {
    expect(() => parse("<Other/>")).toThrow(expect.objectContaining({ code: "MalformedXML" }));
    expect(() => parse("<broken")).toThrow(expect.objectContaining({ code: "MalformedXML" }));
  });
});

describe("Function: renderNotificationConfiguration", () => {
  it("renders what it parsed", () => {
    const xml = `<NotificationConfiguration><CloudFunctionConfiguration><Id>i</Id><CloudFunction>${arn}</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a &amp; b/</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration></NotificationConfiguration>`;

    const rendered = renderXml("NotificationConfiguration", renderNotificationConfiguration(parse(xml)));

    expect(parse(rendered)).toEqual(parse(xml));
    expect(rendered).toContain("<Value>a &amp; b/</Value>");
  });
});
