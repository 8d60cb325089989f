import { type Stack, stackShellEnvironment } from "./spec.ts";

/** Shell-quotes a value for a file that `sh` can source. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** localstack/stack.env: the stack spec as shell variables for the init hooks. */
export function renderStackEnv(stack: Stack): string {
  return [
    "# Generated from src/stack/spec.ts by `npx pipeline stack env > localstack/stack.env`; do not edit by hand.",
    ...Object.entries(stackShellEnvironment(stack)).map(([k, v]) => `${k}=${shellQuote(v)}`),
    "",
  ].join("\n");
}
