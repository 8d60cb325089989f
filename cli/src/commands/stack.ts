import { stackShellEnvironment } from "../../../src/stack/spec.ts";
import { Output } from "../output.ts";
import { type GlobalOptions, resolveTarget } from "../target.ts";

/** Shell-quotes a value for a POSIX `.env`-style file that `sh` can source. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `pipeline stack env`: the stack spec as shell variables; localstack/stack.env is generated from it. */
export async function stackEnv(options: GlobalOptions): Promise<void> {
  const output = new Output({ json: options.json });
  const target = await resolveTarget({
    ...options,
    endpoint: options.endpoint === "aws" ? undefined : options.endpoint,
  });
  const variables = stackShellEnvironment(target.stack);
  output.data(variables);
  output.line(renderStackEnv(variables));
  target.clients.destroy();
}

export function renderStackEnv(variables: Record<string, string>): string {
  return [
    "# Generated from src/stack/spec.ts by `npx pipeline stack env > localstack/stack.env`; do not edit by hand.",
    ...Object.entries(variables).map(([k, v]) => `${k}=${shellQuote(v)}`),
  ].join("\n");
}
