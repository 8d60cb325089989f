import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createRouter } from "../../src/engine/service/codecs/rest.ts";
import {
  createDispatcher,
  type DispatcherContext,
  decodeQueryInput,
  operation,
  QueryParams,
  respondWith,
  type ServiceDeclaration,
  ServiceError,
} from "../../src/engine/service/index.ts";
import type { ServiceSection } from "../../src/engine/service/section.ts";
import type { Authorizer, Caller, ServiceRequest } from "../../src/engine/types.ts";

const role: Caller = {
  accessKeyId: "ASIAEXAMPLE",
  accountId: "000000000000",
  arn: "arn:aws:sts::000000000000:assumed-role/r/s",
  role: { roleName: "r", roleArn: "arn:aws:iam::000000000000:role/r", sessionName: "s" },
};

/** Allows everything except the listed `action resource` pairs; records what it was asked. */
function authorizerDenying(...denied: string[]): Authorizer & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    authorize: (_caller, action, resource) => {
      asked.push(`${action} ${resource}`);
      return denied.includes(`${action} ${resource}`)
        ? { allowed: false, reason: "implicit-deny" }
        : { allowed: true };
    },
  };
}

function request(parts: Partial<Omit<ServiceRequest, "body">> & { body?: Buffer | string }): ServiceRequest {
  const { body, ...rest } = parts;
  return {
    method: "POST",
    rawPath: "/",
    query: new URLSearchParams(),
    headers: {},
    host: "localhost",
    caller: role,
    region: "us-east-1",
    requestId: "req-1",
    ...rest,
    body: typeof body === "string" ? Buffer.from(body) : (body ?? Buffer.alloc(0)),
  };
}

const form = (body: string) =>
  request({ headers: { "content-type": "application/x-www-form-urlencoded" }, body });
const target = (name: string, body: unknown) =>
  request({
    headers: { "x-amz-target": name, "content-type": "application/x-amz-json-1.0" },
    body: JSON.stringify(body),
  });
/** A service-level section that only names the service: the dispatcher reads its signing name. */
const sectionNamed = (signingName: string, protocols: ServiceSection["protocols"] = {}): ServiceSection => ({
  signingName,
  protocols,
  bodyLimit: () => ({ stream: true }),
  throttling: { status: 400, code: "ThrottlingException" },
  internalErrorCode: "InternalFailure",
});
const text = (body: unknown) => String(body);

/** A queue-like service answering JSON 1.0 and query on one endpoint, as SQS does. */
const queues: ServiceDeclaration = {
  section: sectionNamed("sqs", {
    json: { version: "1.0", targetPrefixes: ["AmazonSQS"], errorPrefix: "com.amazonaws.sqs" },
    query: { version: "2012-11-05", namespace: "http://queue.amazonaws.com/doc/2012-11-05/" },
  }),
  operations: [
    operation({
      name: "CreateQueue",
      input: z.object({
        QueueName: z.string().regex(/^[\w-]{1,80}$/),
        Mode: z.enum(["fast", "slow"]).optional(),
      }),
      resource: (input) => `arn:aws:sqs:us-east-1:000000000000:${input.QueueName}`,
      handler: (input) => ({ QueueUrl: `http://localhost/000000000000/${input.QueueName}` }),
    }),
    operation({
      name: "GetQueueUrl",
      input: z.object({ QueueName: z.string() }),
      handler: (input) => {
        throw new ServiceError(400, "QueueDoesNotExist", `no queue ${input.QueueName}`, {
          queryCode: "AWS.SimpleQueueService.NonExistentQueue",
        });
      },
    }),
    operation({
      name: "TagQueue",
      input: z.object({ Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).min(1) }),
      handler: () => undefined,
    }),
  ],
};

describe("Function: createDispatcher", () => {
  describe("json protocol", () => {
    it("runs the operation X-Amz-Target names and answers its output as JSON", async () => {
      // Prepare
      const authorizer = authorizerDenying();
      const handle = createDispatcher(queues, { authorizer });

      // Act
      const response = await handle(target("AmazonSQS.CreateQueue", { QueueName: "jobs" }));

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers?.["content-type"]).toBe("application/x-amz-json-1.0");
      expect(JSON.parse(text(response.body))).toEqual({ QueueUrl: "http://localhost/000000000000/jobs" });
      expect(authorizer.asked).toEqual(["sqs:CreateQueue arn:aws:sqs:us-east-1:000000000000:jobs"]);
    });

    it("renders every failed constraint in AWS's message, with the service's error namespace", async () => {
      // Prepare
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });

      // Act
      const response = await handle(target("AmazonSQS.CreateQueue", { QueueName: "a b", Mode: "odd" }));

      // Assess
      expect(response.status).toBe(400);
      expect(JSON.parse(text(response.body))).toMatchObject({
        __type: "com.amazonaws.sqs#ValidationException",
        message:
          "2 validation errors detected: Value 'a b' at 'queueName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w-]{1,80}$; Value 'odd' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [fast, slow]",
      });
    });

    it("answers AccessDeniedException with AWS's sentence before the handler runs", async () => {
      // Prepare
      const handle = createDispatcher(queues, {
        authorizer: authorizerDenying("sqs:CreateQueue arn:aws:sqs:us-east-1:000000000000:jobs"),
      });

      // Act
      const response = await handle(target("AmazonSQS.CreateQueue", { QueueName: "jobs" }));

      // Assess
      expect(response.status).toBe(400);
      expect(JSON.parse(text(response.body)).message).toBe(
        "User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: sqs:CreateQueue on resource: arn:aws:sqs:us-east-1:000000000000:jobs because no identity-based policy allows the sqs:CreateQueue action",
      );
    });

    it("sends the query code of an awsQueryCompatible error in x-amzn-query-error", async () => {
      // Prepare
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });

      // Act
      const response = await handle(target("AmazonSQS.GetQueueUrl", { QueueName: "gone" }));

      // Assess
      expect(response.headers?.["x-amzn-query-error"]).toBe("AWS.SimpleQueueService.NonExistentQueue;Sender");
      expect(JSON.parse(text(response.body)).__type).toBe("com.amazonaws.sqs#QueueDoesNotExist");
    });

    it("answers an unknown target and a body that is not JSON with the protocol's errors", async () => {
      // Prepare
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });

      // Act
      const unknown = await handle(target("AmazonSQS.Explode", {}));
      const malformed = await handle(
        request({
          headers: { "x-amz-target": "AmazonSQS.CreateQueue", "content-type": "application/x-amz-json-1.0" },
          body: "{not json",
        }),
      );
      const notJson = await handle(
        request({
          headers: { "x-amz-target": "AmazonSQS.CreateQueue", "content-type": "text/plain" },
          body: "{}",
        }),
      );

      // Assess
      expect(JSON.parse(text(unknown.body))).toMatchObject({
        __type: "com.amazonaws.sqs#UnknownOperationException",
        message: "Operation Explode is not supported",
      });
      expect(JSON.parse(text(malformed.body)).__type).toBe("com.amazonaws.sqs#SerializationException");
      // A body that does not say it is JSON: DynamoDB's code, in JSON an SDK can read (not a bare XML element).
      expect(notJson.status).toBe(404);
      expect(JSON.parse(text(notJson.body)).__type).toBe("com.amazonaws.sqs#UnknownOperationException");
    });

    it("refuses exactly the bodies a strict UTF-8 decoder refuses, as a SerializationException", async () => {
      // Prepare: any bytes, and UTF-8 text around some of them (valid text with broken sequences inside).
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });
      const strict = new TextDecoder("utf-8", { fatal: true });
      const isStrictUtf8 = (bytes: Uint8Array) => {
        try {
          strict.decode(bytes);
          return true;
        } catch {
          return false;
        }
      };
      const bodies = fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc
          .tuple(
            fc.string({ unit: "binary" }),
            fc.uint8Array({ maxLength: 4 }),
            fc.string({ unit: "binary" }),
          )
          .map(([a, bytes, b]) => Buffer.concat([Buffer.from(a), bytes, Buffer.from(b)])),
      );

      // Act & Assess
      await fc.assert(
        fc.asyncProperty(bodies, async (bytes) => {
          const response = await handle(
            request({
              headers: {
                "x-amz-target": "AmazonSQS.CreateQueue",
                "content-type": "application/x-amz-json-1.0",
              },
              body: Buffer.from(bytes),
            }),
          );
          const refusedAsUtf8 = JSON.parse(text(response.body)).message === "Request body is not valid UTF-8";
          expect(refusedAsUtf8).toBe(bytes.length > 0 && !isStrictUtf8(bytes));
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe("query protocol on the same endpoint", () => {
    it("chooses query without X-Amz-Target and answers <XResponse><XResult>", async () => {
      // Prepare
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });

      // Act
      const response = await handle(form("Action=CreateQueue&QueueName=jobs&Version=2012-11-05"));

      // Assess
      expect(response.status).toBe(200);
      expect(text(response.body)).toContain(
        '<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>http://localhost/000000000000/jobs</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateQueueResponse>',
      );
    });

    it("writes the query code and ValidationError in <ErrorResponse>, and no result for no output", async () => {
      // Prepare
      const handle = createDispatcher(queues, { authorizer: authorizerDenying() });

      // Act
      const missing = await handle(form("Action=GetQueueUrl&QueueName=gone"));
      const invalid = await handle(form("Action=CreateQueue"));
      const tagged = await handle(form("Action=TagQueue&Tags.member.1.Key=k&Tags.member.1.Value=v"));
      const unknown = await handle(form("Action=Explode"));

      // Assess
      expect(text(missing.body)).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
      expect(invalid.status).toBe(400);
      expect(text(invalid.body)).toContain(
        "<Code>ValidationError</Code><Message>1 validation error detected: Value null at &apos;queueName&apos; failed to satisfy constraint: Member must not be null</Message>",
      );
      expect(text(tagged.body)).not.toContain("TagQueueResult");
      expect(text(unknown.body)).toContain("Could not find operation Explode for version 2012-11-05");
    });
  });

  describe("rest-json protocol", () => {
    const functions: ServiceDeclaration = {
      section: sectionNamed("lambda", { restJson: { paths: /^\/2015-03-31\/functions/ } }),
      operations: [
        operation({
          name: "GetPolicy",
          http: { method: "GET", path: "/2015-03-31/functions/{FunctionName}/policy" },
          input: z.object({ FunctionName: z.string() }),
          resource: (input) => {
            if (input.FunctionName === "missing")
              throw new ServiceError(404, "ResourceNotFoundException", "gone");
            return `arn:aws:lambda:us-east-1:000000000000:function:${input.FunctionName}`;
          },
          handler: (input) => ({ Policy: input.FunctionName }),
        }),
        operation({
          name: "Invoke",
          action: "lambda:InvokeFunction",
          http: { method: "POST", path: "/2015-03-31/functions/{FunctionName}/invocations", body: "raw" },
          handler: (_input, call) => respondWith({ status: 200, body: call.request.body }),
        }),
      ],
    };

    it("matches the route, hands its labels in as input and answers JSON", async () => {
      // Prepare
      const authorizer = authorizerDenying();
      const handle = createDispatcher(functions, { authorizer });

      // Act
      const response = await handle(
        request({ method: "GET", rawPath: "/2015-03-31/functions/my%20fn/policy" }),
      );

      // Assess
      expect(JSON.parse(text(response.body))).toEqual({ Policy: "my fn" });
      expect(authorizer.asked).toEqual([
        "lambda:GetPolicy arn:aws:lambda:us-east-1:000000000000:function:my fn",
      ]);
    });

    it("passes a raw response through, answers 404 before 403, and 404 for an unknown route", async () => {
      // Prepare
      const context: DispatcherContext = { authorizer: authorizerDenying("lambda:GetPolicy *") };
      const handle = createDispatcher(functions, context);

      // Act
      const invoked = await handle(
        request({ rawPath: "/2015-03-31/functions/f/invocations", body: "not json at all" }),
      );
      const missing = await handle(
        request({ method: "GET", rawPath: "/2015-03-31/functions/missing/policy" }),
      );
      const unknown = await handle(request({ method: "PATCH", rawPath: "/2015-03-31/functions/f" }));

      // Assess
      expect(text(invoked.body)).toBe("not json at all");
      expect(missing.status).toBe(404);
      expect(missing.headers?.["x-amzn-errortype"]).toBe("ResourceNotFoundException");
      expect(unknown.status).toBe(404);
      expect(unknown.headers?.["x-amzn-errortype"]).toBe("UnknownOperationException");
    });
  });

  it("rethrows what is not a ServiceError unless the declaration maps it", async () => {
    // Prepare
    const failing = (mapped: boolean): ServiceDeclaration => ({
      section: sectionNamed("logs", {
        json: { version: "1.1", targetPrefixes: ["Logs_20140328"], errorPrefix: "com.amazonaws.logs" },
      }),
      operations: [
        operation({
          name: "Boom",
          action: null,
          handler: () => {
            throw new TypeError("bug");
          },
        }),
      ],
      ...(mapped
        ? { unexpectedError: () => new ServiceError(500, "ServiceUnavailableException", "sorry") }
        : {}),
    });

    // Act
    const unmapped = createDispatcher(failing(false), { authorizer: authorizerDenying() })(
      target("Logs_20140328.Boom", {}),
    );
    const mapped = await createDispatcher(failing(true), { authorizer: authorizerDenying() })(
      target("Logs_20140328.Boom", {}),
    );

    // Assess
    await expect(unmapped).rejects.toThrow("bug");
    expect(mapped.status).toBe(500);
  });
});

describe("Function: createDispatcher's hooks", () => {
  const tables = (overrides: Partial<ServiceDeclaration>): ServiceDeclaration => ({
    section: sectionNamed("dynamodb", {
      json: {
        version: "1.0",
        targetPrefixes: ["DynamoDB_20120810"],
        errorPrefix: "com.amazonaws.dynamodb.v20120810",
      },
    }),
    operations: [
      operation({
        name: "DescribeLimits",
        input: z.object({ Limit: z.number().int().min(1).max(100).optional() }),
        handler: () => ({ AccountMaxReadCapacityUnits: 80000 }),
      }),
    ],
    ...overrides,
  });

  it("authorizes an undeclared operation on * before the fallback serves it", async () => {
    // Prepare
    const served: string[] = [];
    const handle = createDispatcher(
      tables({
        fallback: async (name) => {
          served.push(name);
          return { status: 200, body: "{}" };
        },
      }),
      { authorizer: authorizerDenying("dynamodb:ListBackups *") },
    );

    // Act
    const allowed = await handle(target("DynamoDB_20120810.ListGlobalTables", {}));
    const denied = await handle(target("DynamoDB_20120810.ListBackups", {}));

    // Assess
    expect(allowed.status).toBe(200);
    expect(served).toEqual(["ListGlobalTables"]);
    expect(denied.status).toBe(400);
    expect(JSON.parse(text(denied.body)).__type).toBe(
      "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
    );
  });

  it("lets the declaration word a denial, and words numeric bounds as AWS does", async () => {
    // Prepare
    const handle = createDispatcher(
      tables({
        accessDenied: {
          error: (_message, denial) =>
            new ServiceError(400, "AccessDeniedException", `no ${denial.action} on ${denial.resource}`, {
              typePrefix: "com.amazon.coral.service",
            }),
        },
      }),
      { authorizer: authorizerDenying("dynamodb:DescribeLimits *") },
    );
    const open = createDispatcher(tables({}), { authorizer: authorizerDenying() });

    // Act
    const denied = await handle(target("DynamoDB_20120810.DescribeLimits", {}));
    const tooBig = await open(target("DynamoDB_20120810.DescribeLimits", { Limit: 500 }));

    // Assess
    expect(JSON.parse(text(denied.body))).toMatchObject({
      __type: "com.amazon.coral.service#AccessDeniedException",
      message: "no dynamodb:DescribeLimits on *",
    });
    expect(JSON.parse(text(tooBig.body)).message).toBe(
      "1 validation error detected: Value '500' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
  });

  it("renders an error raised while resolving the operation in the service's protocol", async () => {
    // Prepare
    const handle = createDispatcher(
      {
        section: sectionNamed("lambda", { restJson: { paths: /^\/2015-03-31\/functions/ } }),
        operations: [],
        resolve: (request) => decodeURIComponent(request.rawPath),
        unexpectedError: () => new ServiceError(500, "ServiceException", "internal"),
      },
      { authorizer: authorizerDenying() },
    );

    // Act
    const response = await handle(request({ method: "GET", rawPath: "/%E0%A4%A" }));

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers?.["x-amzn-errortype"]).toBe("ServiceException");
  });
});

describe("Function: createDispatcher's rest-xml hooks (S3's shape)", () => {
  /** A bucket service: routes name the operation, `authorize` weighs a resource policy, errors name the path. */
  const bucketService = (policyAllows: boolean, checked: string[]): ServiceDeclaration => ({
    section: sectionNamed("s3", { restXml: {} }),
    protocolHooks: { restXmlErrorDetails: (_error, request) => ({ Resource: request.rawPath }) },
    operations: [
      operation({
        name: "GetObject",
        http: { method: "GET", path: "/{Bucket}/{Key+}" },
        action: (_input, call) =>
          call.request.query.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject",
        resource: (_input, call) => `arn:aws:s3:::${call.labels.Bucket}/${call.labels.Key}`,
        handler: () => respondWith({ status: 200, headers: {}, body: "bytes" }),
      }),
      operation({
        name: "Explode",
        // A literal segment is more specific than the greedy label: it wins wherever it is declared.
        http: { method: "GET", path: "/{Bucket}/boom" },
        action: null,
        handler: () => {
          throw new TypeError("bug");
        },
      }),
    ],
    authenticate: (name, call) => {
      checked.push(`authenticate ${name}`);
      if (call.request.headers.authorization === "forged")
        throw new ServiceError(403, "SignatureDoesNotMatch", "The signature does not match");
    },
    resourcePolicy: (resource) => {
      checked.push(`resource policy of ${resource}`);
      const Effect = policyAllows ? "Allow" : "Deny";
      return {
        document: { Statement: [{ Effect, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::*" }] },
      };
    },
    unexpectedError: (_error, request) =>
      new ServiceError(500, "InternalError", `failed: ${request.rawPath}`),
  });

  it("weighs the declaration's resource policy, for the action the request picks, after authenticate", async () => {
    // Prepare
    const checked: string[] = [];
    const authorizer = authorizerDenying();
    const allowed = createDispatcher(bucketService(true, checked), { authorizer });

    // Act
    const response = await allowed(
      request({ method: "GET", rawPath: "/b/k", query: new URLSearchParams("versionId=v1") }),
    );

    // Assess
    expect(response.body).toBe("bytes");
    expect(checked).toEqual(["authenticate GetObject", "resource policy of arn:aws:s3:::b/k"]);
    expect(authorizer.asked).toEqual(["s3:GetObjectVersion arn:aws:s3:::b/k"]);
  });

  it("renders a denial, a refused signature and an unexpected error as <Error> with the declared details", async () => {
    // Prepare
    const checked: string[] = [];
    const denying = createDispatcher(bucketService(false, checked), {
      authorizer: authorizerDenying(),
    });

    // Act
    const denied = await denying(request({ method: "GET", rawPath: "/b/k" }));
    const forged = await denying(
      request({ method: "GET", rawPath: "/b/k", headers: { authorization: "forged" } }),
    );
    const failed = await denying(request({ method: "GET", rawPath: "/b/boom" }));

    // Assess
    expect(denied.status).toBe(403);
    expect(text(denied.body)).toContain("<Code>AccessDenied</Code>");
    expect(text(denied.body)).toContain(
      "on resource: &quot;arn:aws:s3:::b/k&quot; with an explicit deny in a resource-based policy",
    );
    expect(text(denied.body)).toContain("<Resource>/b/k</Resource>");
    expect(forged.status).toBe(403);
    expect(text(forged.body)).toContain("<Code>SignatureDoesNotMatch</Code>");
    // The forged request stops at authenticate: it is never authorized, nor is the action-less Explode.
    expect(checked).toEqual([
      "authenticate GetObject",
      "resource policy of arn:aws:s3:::b/k",
      "authenticate GetObject",
      "authenticate Explode",
    ]);
    expect(failed.status).toBe(500);
    expect(text(failed.body)).toContain("<Message>failed: /b/boom</Message>");
    expect(text(failed.body)).toContain("<Resource>/b/boom</Resource>");
  });
});

describe("Function: decodeQueryInput", () => {
  it("nests dotted names, indexes lists from 1, drops `member` and the envelope", () => {
    // Prepare
    const params = new QueryParams(
      form(
        "Action=X&Version=1&QueueName=q&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1&AttributeName.1=All&Attribute.1.Name=Policy&Attribute.1.Value=%7B%7D",
      ),
    );

    // Act
    const input = decodeQueryInput(params);

    // Assess
    expect(input).toEqual({
      QueueName: "q",
      Tags: [{ Key: "a", Value: "1" }, { Key: "b" }],
      AttributeName: ["All"],
      Attribute: [{ Name: "Policy", Value: "{}" }],
    });
  });
});

describe("Function: createRouter, one route", () => {
  it("matches one segment per label and the rest of the path for a greedy label", () => {
    // Arrange
    const labelsOf = (route: { method: string; path: string }, method: string, path: string) => {
      const found = createRouter([route])(method, path, new URLSearchParams(), {});
      return found && "index" in found ? found.labels : undefined;
    };

    // Act
    const one = labelsOf({ method: "GET", path: "/f/{Name}" }, "get", "/f/a%2Fb");
    const greedy = labelsOf({ method: "GET", path: "/{Bucket}/{Key+}" }, "GET", "/b/dir/k.txt");
    const longer = labelsOf({ method: "GET", path: "/f/{Name}" }, "GET", "/f/a/b");
    const empty = labelsOf({ method: "GET", path: "/f/{Name}" }, "GET", "/f/");

    // Assess
    expect(one).toEqual({ Name: "a/b" });
    expect(greedy).toEqual({ Bucket: "b", Key: "dir/k.txt" });
    expect(longer).toBeUndefined();
    expect(empty).toBeUndefined();
  });
});

describe("Function: createRouter", () => {
  const routes = [
    { method: "PUT", path: "/{Bucket}/{Key+}" },
    { method: "PUT", path: "/{Bucket}/{Key+}", header: "x-amz-copy-source" },
    { method: "GET", path: "/{Bucket}" },
    { method: "GET", path: "/{Bucket}?list-type=2" },
    { method: "PUT", path: "/{Bucket}/{Key+}?partNumber&uploadId" },
    { method: "GET", path: "/{Bucket}?acl" },
    { method: "PUT", path: "/{Bucket}?acl" },
    { method: "POST", path: "/{Bucket}" },
    { method: "OPTIONS", path: "/{Bucket}/{Key*}" },
  ];
  const route = createRouter(routes);
  const match = (method: string, path: string, query = "", headers: Record<string, string> = {}) =>
    route(method, path, new URLSearchParams(query), headers);

  it("requires the query keys (and values) and the header a route names, the most specific route first", () => {
    // Act
    const put = match("PUT", "/b/k", "x-id=PutObject");
    const copy = match("PUT", "/b/k", "", { "x-amz-copy-source": "/s/k" });
    const part = match("PUT", "/b/k", "uploadId=u&partNumber=2");
    const v2 = match("GET", "/b", "list-type=2");
    const v1 = match("GET", "/b", "list-type=1");

    // Assess
    expect(put).toEqual({ index: 0, labels: { Bucket: "b", Key: "k" } });
    expect(copy).toEqual({ index: 1, labels: { Bucket: "b", Key: "k" } });
    expect(part).toEqual({ index: 4, labels: { Bucket: "b", Key: "k" } });
    expect(v2).toEqual({ index: 3, labels: { Bucket: "b" } });
    expect(v1).toEqual({ index: 2, labels: { Bucket: "b" } });
  });

  it("answers a resource only other methods serve as methodNotAllowed, never a less specific route", () => {
    // Act
    const postAcl = match("POST", "/b", "acl");
    const patch = match("PATCH", "/b");
    const post = match("POST", "/b");
    const nothing = match("DELETE", "/");

    // Assess
    expect(postAcl).toEqual({ methodNotAllowed: true, labels: { Bucket: "b" } });
    expect(patch).toEqual({ methodNotAllowed: true, labels: { Bucket: "b" } });
    expect(post).toEqual({ index: 7, labels: { Bucket: "b" } });
    expect(nothing).toBeUndefined();
  });

  it("lets a `{Label*}` take the rest of the path or nothing, and decodes labels with the service's decoder", () => {
    // Prepare
    const strict = createRouter([{ method: "GET", path: "/{Bucket}/{Key+}" }], (raw) => {
      if (raw.includes("%ZZ")) throw new Error("InvalidURI");
      return decodeURIComponent(raw);
    });

    // Act
    const bucket = match("OPTIONS", "/b");
    const object = match("OPTIONS", "/b/dir/k");
    const decoded = strict("GET", "/b/a%20b/c", new URLSearchParams(), {});

    // Assess
    expect(bucket).toEqual({ index: 8, labels: { Bucket: "b" } });
    expect(object).toEqual({ index: 8, labels: { Bucket: "b", Key: "dir/k" } });
    expect(decoded).toEqual({ index: 0, labels: { Bucket: "b", Key: "a b/c" } });
    expect(() => strict("GET", "/b/%ZZ", new URLSearchParams(), {})).toThrow("InvalidURI");
  });
});

describe("Function: createDispatcher's declared members", () => {
  it("refuses a member the operation declares refused, on its wire, after authorizing and before the handler", async () => {
    // Prepare
    const handled: string[] = [];
    const handle = createDispatcher(
      {
        section: sectionNamed("s3", { restXml: {} }),
        operations: [
          operation({
            name: "PutThing",
            http: { method: "PUT", path: "/{Name}" },
            action: "s3:PutThing",
            members: { handled: ["Name"], refused: { Mode: "x-amz-mode", Turbo: "?turbo" } },
            handler: () => {
              handled.push("PutThing");
              return respondWith({ status: 200, headers: {} });
            },
          }),
        ],
        refusedMember: (member, wire) => new ServiceError(501, "NotImplemented", `${wire} (${member})`),
      },
      { authorizer: authorizerDenying() },
    );

    // Act
    const header = await handle(request({ method: "PUT", rawPath: "/n", headers: { "x-amz-mode": "x" } }));
    const query = await handle(
      request({ method: "PUT", rawPath: "/n", query: new URLSearchParams("turbo") }),
    );
    const plain = await handle(request({ method: "PUT", rawPath: "/n" }));

    // Assess
    expect(header.status).toBe(501);
    expect(text(header.body)).toContain("<Message>x-amz-mode (Mode)</Message>");
    expect(text(query.body)).toContain("<Message>?turbo (Turbo)</Message>");
    expect(plain.status).toBe(200);
    expect(handled).toEqual(["PutThing"]);
  });
});
