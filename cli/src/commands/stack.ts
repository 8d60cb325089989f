import { renderStackEnv } from "../../../src/stack/shell-env.ts";
import { stackShellEnvironment } from "../../../src/stack/spec.ts";
import { Output } from "../output.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";

/** `pipeline stack env`: the stack spec as shell variables; localstack/stack.env is generated from it. */
export async function stackEnv(options: GlobalOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const target = await resolveTarget(
    {
      ...options,
      endpoint: options.endpoint === "aws" ? undefined : options.endpoint,
    },
    [],
  );
  output.data(stackShellEnvironment(target.stack));
  if (!output.json) process.stdout.write(renderStackEnv(target.stack));
  target.clients.destroy();
}
