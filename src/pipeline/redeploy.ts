import { UpdateFunctionCodeCommand, waitUntilFunctionUpdatedV2 } from "@aws-sdk/client-lambda";
import { buildFunctionArtifact } from "../artifact/build.ts";
import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";

export interface RedeployResult {
  codeSha256: string;
  buildMs: number;
  deployMs: number;
  totalMs: number;
  /** The project files the new code was bundled from: what to watch for the next change. */
  sourceFiles: string[];
}

/** Rebuilds dist/function.zip and updates the function's code, waiting until the update is live. */
export async function redeployFunction(
  clients: Pick<AwsClients, "lambda">,
  stack: Stack,
  options: { realAws?: boolean } = {},
): Promise<RedeployResult> {
  const started = performance.now();
  const artifact = await buildFunctionArtifact({ runtime: stack.runtime });
  const deployStarted = performance.now();
  await clients.lambda.send(
    new UpdateFunctionCodeCommand({ FunctionName: stack.functionName, ZipFile: artifact.zip }),
  );
  await waitUntilFunctionUpdatedV2(
    options.realAws
      ? { client: clients.lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }
      : { client: clients.lambda, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.5 },
    { FunctionName: stack.functionName },
  );
  const finished = performance.now();
  return {
    codeSha256: artifact.codeSha256,
    buildMs: deployStarted - started,
    deployMs: finished - deployStarted,
    totalMs: finished - started,
    sourceFiles: artifact.sourceFiles,
  };
}
