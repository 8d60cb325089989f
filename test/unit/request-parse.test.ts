import { describe, expect, it } from "vitest";
import { engineServices } from "../../src/engine/registry.ts";
import { jsonNestsDeeperThan, speaksJson } from "../../src/engine/service/codecs/json.ts";
import { parseQueryForm } from "../../src/engine/service/codecs/query.ts";

describe("Function: parseQueryForm", () => {
  it("reads the query string and the form body together, the body's values last", () => {
    // Act
    const form = parseQueryForm(
      new URLSearchParams("Action=ListRoles&MaxItems=1"),
      Buffer.from("MaxItems=2"),
    );

    // Assess
    expect(form.params.get("Action")).toBe("ListRoles");
    expect(form.params.get("MaxItems")).toBe("2");
    expect(form.repeated).toEqual([]);
  });

  it.each([
    ["Action twice in the query string", "Action=ListRoles&Action=PutRolePolicy", "", ["Action"]],
    ["Action in the query string and the body", "Action=ListRoles", "Action=PutRolePolicy", ["Action"]],
    ["Version twice", "Action=ListRoles&Version=a", "Version=b", ["Version"]],
    ["both", "Action=A&Version=a", "Action=B&Version=b", ["Action", "Version"]],
  ])("names %s as repeated", (_case, query, body, repeated) => {
    expect(parseQueryForm(new URLSearchParams(query), Buffer.from(body)).repeated).toEqual(repeated);
  });

  it("lets other parameters repeat (the last one counts, for the guard and the service alike)", () => {
    expect(parseQueryForm(new URLSearchParams("QueueName=a&QueueName=b"), Buffer.alloc(0)).repeated).toEqual(
      [],
    );
  });
});

describe("Function: jsonNestsDeeperThan", () => {
  it.each([
    ["{}", 1, false],
    ['{"a":[{}]}', 3, false],
    ['{"a":[{}]}', 2, true],
    ['{"a":"[[[[[[[["}', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    [`${"[".repeat(20_000)}${"]".repeat(20_000)}`, 512, true],
  ])("%s deeper than %i → %s", (text, max, deeper) => {
    expect(jsonNestsDeeperThan(Buffer.from(text), max)).toBe(deeper);
  });
});

describe("Function: speaksJson", () => {
  it.each([
    [{ "content-type": "application/x-amz-json-1.0" }, true],
    [{ "content-type": "application/x-www-form-urlencoded", "x-amz-target": "$" }, false],
    [{ "x-amz-target": "AmazonSQS.SendMessage" }, true],
    [{ "content-type": "text/plain", "x-amz-target": "AmazonSQS.SendMessage" }, true],
    [{}, false],
  ])("%o → %s", (headers, json) => {
    expect(speaksJson(headers)).toBe(json);
  });
});

describe("Registry: byPath", () => {
  it.each([
    ["/2015-03-31/functions/f/invocations", "lambda"],
    ["/2015-03-31/functions", "lambda"],
    ["/2019-09-25/functions/f/event-invoke-config", "lambda"],
    ["/2015-03-31/key", "s3"],
    ["/bucket/key", "s3"],
  ])("%s → %s", (path, service) => {
    expect(engineServices.byPath(path).signingName).toBe(service);
  });
});
