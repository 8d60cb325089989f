import { LambdaApi, type LambdaApiDependencies } from "../../src/engine/lambda/api.ts";
import type { FunctionRecord } from "../../src/engine/lambda/functions.ts";
import { createDispatcher } from "../../src/engine/service/index.ts";
import type { ServiceRequest } from "../../src/engine/types.ts";

/** What one request to the declaration answered. */
export interface LambdaAnswer {
  status: number;
  type: string | undefined;
  message: string | undefined;
}

/**
 * Lambda's declaration behind the shared dispatcher, over a store that knows one function (`ingest`, no policy)
 * and counts its lookups, with an authorizer that records each action and resource it is asked and denies them
 * (or allows them with `allow`): which operation a method and path reach, and whether a request's members pass,
 * without running a function.
 */
export function lambdaDeclaration(options: { allow?: boolean } = {}) {
  const asked: string[] = [];
  const lookups: string[] = [];
  const record = {
    name: "ingest",
    arn: "arn:aws:lambda:us-east-1:000000000000:function:ingest",
    versions: [],
    aliases: [],
    policy: [],
    revisionId: "r1",
    code: { sha256: "", zip: Buffer.alloc(0) },
  } as unknown as FunctionRecord;
  const dependencies = {
    context: { region: "us-east-1", accountId: "000000000000", log: () => undefined },
    store: {
      get: (name: string) => {
        lookups.push(name);
        return name === record.name ? record : undefined;
      },
    },
  } as unknown as LambdaApiDependencies;
  const handle = createDispatcher(new LambdaApi(dependencies).declaration(), {
    authorizer: {
      authorize: (_caller, action, resource) => {
        asked.push(`${action} ${resource}`);
        return options.allow ? { allowed: true } : { allowed: false, reason: "implicit-deny" };
      },
    },
  });
  const send = async (
    method: string,
    target: string,
    parts: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<LambdaAnswer> => {
    const [rawPath = "", query = ""] = target.split("?");
    const request: ServiceRequest = {
      method,
      rawPath,
      query: new URLSearchParams(query),
      headers: { "content-type": "application/json", ...parts.headers },
      host: "localhost",
      caller: {
        accessKeyId: "AKIAEXAMPLE",
        accountId: "000000000000",
        arn: "arn:aws:iam::000000000000:user/u",
      },
      region: "us-east-1",
      requestId: "req-1",
      body: Buffer.from(parts.body === undefined ? "" : JSON.stringify(parts.body)),
    };
    const response = await handle(request);
    const text = response.body === undefined ? "" : String(response.body);
    const error = response.status >= 400 && text !== "" ? (JSON.parse(text) as { Message?: string }) : {};
    return {
      status: response.status,
      type: response.headers?.["x-amzn-errortype"] as string | undefined,
      message: error.Message,
    };
  };
  return { send, asked, lookups };
}
